namespace ModelCsi.Core.ModelPack;

/// <summary>A layer tried something that could write outside the model root or exhaust the disk; the whole layer fails.</summary>
public sealed class UnsafeArchiveEntryException : ModelPackException
{
    public UnsafeArchiveEntryException(string layerDigest, string entryName, ArchiveRule rule, string detail)
        : base($"layer {layerDigest}: entry '{ValueExcerpt.Of(entryName)}' rejected ({rule}): {detail}")
    {
        LayerDigest = layerDigest;
        EntryName = entryName;
        Rule = rule;
    }

    public string LayerDigest { get; }

    public string EntryName { get; }

    public ArchiveRule Rule { get; }
}
