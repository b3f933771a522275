using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using Mono.Unix.Native;
using Prometheus;

namespace ModelCsi.Driver;

/// <summary>
/// Sets <c>modelcsi_cache_free_bytes</c> and <c>modelcsi_cache_limit_bytes</c> just before each scrape from
/// statvfs of the cache directory: free space changes with everything else on the disk, so only a fresh
/// reading means anything, and a scrape every 30 s costs one syscall.
/// </summary>
internal sealed class CacheCapacityMetrics(CacheMetrics metrics, IOptions<ModelCacheOptions> options)
{
    public void Register(CollectorRegistry registry) => registry.AddBeforeCollectCallback(Update);

    public void Update()
    {
        var cache = options.Value;
        var root = new CacheLayout(cache.RootDirectory).Root;
        var limit = cache.MaxSize.IsZero ? long.MaxValue : cache.MaxSize.Bytes;
        if (Syscall.statvfs(Directory.Exists(root) ? root : cache.RootDirectory, out var fs) == 0)
        {
            var free = (long)(fs.f_bavail * fs.f_frsize);
            var total = (long)(fs.f_blocks * fs.f_frsize);
            var reserve = Math.Max(cache.ReservedFreeBytes, (long)(total * Math.Clamp(cache.MinFreePercent, 0, 100) / 100));
            metrics.CacheFreeBytes.Set(free);
            // What the cache holds plus what it may still add before the disk bound stops it.
            limit = Math.Min(limit, (long)metrics.CacheBytes.Value + Math.Max(0, free - reserve));
        }
        if (limit != long.MaxValue)
        {
            metrics.CacheLimitBytes.Set(limit);
        }
    }
}
