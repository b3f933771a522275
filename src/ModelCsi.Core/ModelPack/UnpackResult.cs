namespace ModelCsi.Core.ModelPack;

/// <summary>What unpacking one layer wrote: regular files (hardlinks included) and their bytes.</summary>
public sealed record UnpackResult(int FilesWritten, long BytesWritten);
