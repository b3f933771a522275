using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A layer expands (or would, by its headers or descriptor) to more bytes than <see cref="UnpackLimits.MaxExpandedBytes"/>
/// allows; the caller sets that to the room left in its budget, so this means "does not fit", checked as the bytes
/// stream and before any of them beyond the limit is written.
/// </summary>
public sealed class ExpansionLimitExceededException : ModelPackException
{
    public ExpansionLimitExceededException(string layerDigest, long limit, long expandedAtLeast)
        : base($"layer {layerDigest} expands to at least {expandedAtLeast} bytes, more than the {limit} bytes it may use")
    {
        LayerDigest = layerDigest;
        Limit = limit;
        ExpandedAtLeast = expandedAtLeast;
    }

    public string LayerDigest { get; }

    /// <summary>The <see cref="UnpackLimits.MaxExpandedBytes"/> in force.</summary>
    public long Limit { get; }

    /// <summary>How many bytes the layer was known to expand to when it was stopped.</summary>
    public long ExpandedAtLeast { get; }

    /// <summary>Not corrupt, just bigger than the room left: a decompression bomb and a model too big are refused alike.</summary>
    public override FailureKind Kind => FailureKind.InsufficientStorage;
}
