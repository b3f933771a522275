namespace ModelCsi.Core.Cache;

/// <summary>
/// Where published volumes get their model directories from. The node service only needs a complete,
/// immutable directory per reference; how it is pulled, verified, de-duplicated and evicted is the
/// store's business. Seam for tests: the real implementation talks to registries.
/// </summary>
public interface IModelStore
{
    /// <summary>
    /// Returns a complete model directory for the reference, pulling it first when needed.
    /// Every failure surfaces as a <see cref="ModelFetchException"/>.
    /// </summary>
    Task<ModelHandle> EnsureModelAsync(ModelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Records that a published volume uses the model, so eviction leaves it alone.</summary>
    /// <param name="cacheKey">The <see cref="ModelHandle.CacheKey"/> of the model.</param>
    /// <param name="volumeId">The volume.</param>
    void MarkInUse(string cacheKey, string volumeId);

    /// <summary>Records that a published volume no longer uses the model.</summary>
    /// <param name="cacheKey">The <see cref="ModelHandle.CacheKey"/> of the model.</param>
    /// <param name="volumeId">The volume.</param>
    void MarkUnused(string cacheKey, string volumeId);
}
