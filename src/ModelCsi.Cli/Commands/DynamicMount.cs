namespace ModelCsi.Cli.Commands;

/// <summary>One mount of a dynamic volume as its socket reports it (<c>GET /mounts</c>).</summary>
public sealed record DynamicMount
{
    public string Name { get; init; } = "";

    public string Reference { get; init; } = "";

    public string? ManifestDigest { get; init; }

    /// <summary>pulling, ready or failed.</summary>
    public string State { get; init; } = "";

    public string Path { get; init; } = "";

    public long? BytesTotal { get; init; }

    public long BytesDone { get; init; }

    public string? Error { get; init; }
}
