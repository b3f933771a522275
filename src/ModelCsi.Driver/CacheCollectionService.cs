using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;

namespace ModelCsi.Driver;

/// <summary>Evicts unused models on a timer so the cache returns under its limits even when no pull asks for room.</summary>
internal sealed class CacheCollectionService(
    ModelCache cache,
    IOptions<ModelCacheOptions> options,
    TimeProvider timeProvider,
    ILogger<CacheCollectionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
