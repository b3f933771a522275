namespace ModelCsi.Core.ModelPack;

/// <summary>The family of media type strings an artifact (or a layer) uses.</summary>
public enum ArtifactFamily
{
    /// <summary><c>application/vnd.cncf.model.*</c>, the ModelPack spec's strings.</summary>
    Cncf,

    /// <summary><c>application/vnd.cnai.model.*</c>, written by modctl up to 0.0.5 and again by 0.2.2 (Harbor keys on them).</summary>
    Cnai,

    /// <summary><c>application/vnd.kitops.modelkit.*</c>, KitOps ModelKits.</summary>
    KitOps,
}
