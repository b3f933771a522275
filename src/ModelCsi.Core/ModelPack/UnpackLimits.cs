namespace ModelCsi.Core.ModelPack;

/// <summary>Bounds on what one layer may expand to, against decompression bombs and inode exhaustion.</summary>
public sealed record UnpackLimits
{
    public static UnpackLimits Default { get; } = new();

    /// <summary>
    /// Most bytes one layer may write or decompress to (tar headers included): callers pass the room left in their
    /// budget. Counted as the bytes stream; passing it stops the layer with <see cref="ExpansionLimitExceededException"/>.
    /// </summary>
    public long MaxExpandedBytes { get; init; } = 1L << 40;

    /// <summary>Most tar entries (files, directories, links) one layer may hold.</summary>
    public int MaxEntries { get; init; } = 100_000;
}
