namespace ModelCsi.Core.ModelPack;

/// <summary>What a layer holds. KitOps kinds map onto the nearest ModelPack kind where one exists.</summary>
public enum LayerKind
{
    Weight,
    WeightConfig,
    Doc,
    Code,
    Dataset,

    /// <summary>KitOps <c>modelpart</c>: an extra model file (adapter, projector) next to the main model.</summary>
    ModelPart,

    /// <summary>KitOps <c>prompts</c>.</summary>
    Prompts,
}
