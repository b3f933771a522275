using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>The manifest is not a model artifact we can mount (for example a plain container image).</summary>
public sealed class UnsupportedArtifactException : ModelPackException
{
    public UnsupportedArtifactException(string? artifactType, string configMediaType)
        : base($"unsupported artifact: artifactType '{artifactType ?? "(none)"}', config mediaType '{configMediaType}'; "
            + $"expected a ModelPack artifact ({ModelPackMediaTypes.CncfManifest} or {ModelPackMediaTypes.CnaiManifest}) "
            + $"or a KitOps ModelKit ({ModelPackMediaTypes.KitOpsConfig})")
    {
        ArtifactType = artifactType;
        ConfigMediaType = configMediaType;
    }

    public string? ArtifactType { get; }

    public string ConfigMediaType { get; }

    public override FailureKind Kind => FailureKind.Unsupported;
}
