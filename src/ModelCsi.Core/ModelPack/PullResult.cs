namespace ModelCsi.Core.ModelPack;

/// <summary>What a pull placed at its destination.</summary>
public sealed record PullResult(ResolvedModel Model, string Destination, int FilesWritten, long BytesWritten, long BytesDownloaded);
