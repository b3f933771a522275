namespace ModelCsi.Core.Cache;

/// <summary>A model ready to mount: the reference it was asked for, the manifest digest it resolved to and its complete directory.</summary>
public sealed record ModelHandle(string Reference, string ManifestDigest, string ModelPath)
{
    /// <summary>
    /// The <see cref="ModelCacheKey"/> the store knows the directory by (the manifest digest unless a selection
    /// was asked for): what <see cref="IModelStore.MarkInUse"/> and <see cref="IModelStore.MarkUnused"/> take.
    /// </summary>
    public string CacheKey { get; init; } = ManifestDigest;
}
