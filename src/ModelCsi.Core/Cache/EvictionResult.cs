namespace ModelCsi.Core.Cache;

/// <summary>What one collection did (or, for a dry run, would do).</summary>
/// <param name="Evicted">Models evicted, least recently used first.</param>
/// <param name="FreedBytes">Bytes of blobs and layers deleted (evicted models' exclusive content and orphans).</param>
/// <param name="CacheBytesBefore">Bytes the cache held before.</param>
/// <param name="CacheBytesAfter">Bytes the cache holds after.</param>
/// <param name="AvailableBytes">Bytes a pull may still add within the size limit and the free-space floor.</param>
public sealed record EvictionResult(
    IReadOnlyList<CachedModelRecord> Evicted,
    long FreedBytes,
    long CacheBytesBefore,
    long CacheBytesAfter,
    long AvailableBytes);
