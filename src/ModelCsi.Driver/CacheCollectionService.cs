using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver;

/// <summary>
/// Opens the cache at start (which reconciles it with the disk) and evicts unused models on a timer so
/// the cache returns under its limits even when no pull asks for room. A controller-only process has
/// no cache: it runs as non-root and must not create the node's root directory.
/// </summary>
internal sealed class CacheCollectionService(
    IServiceProvider services,
    IOptions<DriverOptions> driver,
    IOptions<ModelCacheOptions> options,
    TimeProvider timeProvider,
    ILogger<CacheCollectionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!driver.Value.ServesNode)
        {
            return;
        }

        var cache = services.GetRequiredService<ModelCache>();
        var interval = options.Value.GcInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // The size is tracked as content comes and goes; this walk only catches drift (files changed
                    // behind the driver's back) and holds no lock a cache hit waits on.
                    cache.RemeasureUsage();
                    var result = cache.CollectGarbage();
                    if (result.Evicted.Count > 0 || result.FreedBytes > 0)
                    {
                        Log.CacheCollected(logger, result.Evicted.Count, result.FreedBytes, result.CacheBytesAfter);
                    }
                }
                catch (IOException e)
                {
                    Log.CacheCollectionFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
