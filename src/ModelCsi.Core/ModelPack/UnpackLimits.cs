namespace ModelCsi.Core.ModelPack;

/// <summary>Bounds on what one layer may expand to, against decompression bombs and inode exhaustion.</summary>
public sealed record UnpackLimits
{
    public static UnpackLimits Default { get; } = new();

    /// <summary>Most bytes a compressed layer may decompress to (tar headers included).</summary>
    public long MaxExpandedBytes { get; init; } = 1L << 40;

    /// <summary>Most tar entries (files, directories, links) one layer may hold.</summary>
    public int MaxEntries { get; init; } = 100_000;
}
