namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Manifest artifact types and config media types of the model artifact formats we read: the CNCF
/// ModelPack strings, the older (and again current in modctl 0.2.2) <c>cnai</c> strings, and KitOps.
/// Layer media types are built and parsed by <see cref="LayerMediaType"/>.
/// </summary>
public static class ModelPackMediaTypes
{
    public const string CncfManifest = "application/vnd.cncf.model.manifest.v1+json";
    public const string CncfConfig = "application/vnd.cncf.model.config.v1+json";
    public const string CncfLayerPrefix = "application/vnd.cncf.model.";

    public const string CnaiManifest = "application/vnd.cnai.model.manifest.v1+json";
    public const string CnaiConfig = "application/vnd.cnai.model.config.v1+json";
    public const string CnaiLayerPrefix = "application/vnd.cnai.model.";

    /// <summary>KitOps uses its config (Kitfile) media type as the manifest's artifact type too.</summary>
    public const string KitOpsConfig = "application/vnd.kitops.modelkit.config.v1+json";
    public const string KitOpsManifest = "application/vnd.kitops.modelkit.manifest.v1+json";
    public const string KitOpsLayerPrefix = "application/vnd.kitops.modelkit.";

    public static string ManifestArtifactType(ArtifactFamily family) => family switch
    {
        ArtifactFamily.Cncf => CncfManifest,
        ArtifactFamily.Cnai => CnaiManifest,
        ArtifactFamily.KitOps => KitOpsConfig,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    public static string ConfigMediaType(ArtifactFamily family) => family switch
    {
        ArtifactFamily.Cncf => CncfConfig,
        ArtifactFamily.Cnai => CnaiConfig,
        ArtifactFamily.KitOps => KitOpsConfig,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
