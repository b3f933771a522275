namespace ModelCsi.Core.ModelPack;

/// <summary>How <see cref="ModelPuller"/> downloads: parallelism and unpack limits.</summary>
public sealed record PullOptions
{
    /// <summary>Layers downloaded and unpacked at the same time.</summary>
    public int MaxParallelLayers { get; init; } = 4;

    public UnpackLimits Limits { get; init; } = UnpackLimits.Default;
}
