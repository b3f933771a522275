namespace ModelCsi.Driver.ModelCaches;

/// <summary>A model now in the node cache: its manifest digest and the bytes it takes there.</summary>
public sealed record WarmedModel(string Digest, long SizeBytes);
