namespace ModelCsi.TestSupport;

/// <summary>One file of a <see cref="HandPackedModel"/>: its path in the model, its layer media type and its bytes.</summary>
public sealed record HandPackedFile(string Path, string MediaType, byte[] Content);
