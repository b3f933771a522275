using ModelCsi.Core.Oci;
using Prometheus;

namespace ModelCsi.Core.Cache;

/// <summary>The cache's Prometheus instruments. One instance per registry; tests pass their own registry.</summary>
public sealed class CacheMetrics : IRegistryEndpointObserver
{
    public CacheMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        CacheBytes = factory.CreateGauge("modelcsi_cache_bytes", "Bytes the cache holds on disk: verified blobs, partial downloads and unpacked layers.");
        CacheModels = factory.CreateGauge("modelcsi_cache_models", "Complete models in the cache.");
        CacheHits = factory.CreateCounter("modelcsi_cache_hits_total", "Model requests answered from the cache.");
        CacheMisses = factory.CreateCounter("modelcsi_cache_misses_total", "Model requests that needed a pull (or joined one in progress).");
        PullsStarted = factory.CreateCounter("modelcsi_pulls_started_total", "Model pulls started.");
        PullsSucceeded = factory.CreateCounter("modelcsi_pulls_succeeded_total", "Model pulls that completed.");
        PullsFailed = factory.CreateCounter("modelcsi_pulls_failed_total", "Model pulls that failed, by reason.", new CounterConfiguration { LabelNames = ["reason"] });
        BytesDownloaded = factory.CreateCounter("modelcsi_downloaded_bytes_total", "Blob bytes fetched from registries (resumed bytes already on disk not counted).");
        PullDuration = factory.CreateHistogram("modelcsi_pull_duration_seconds", "Duration of model pulls, successful or not.", new HistogramConfiguration
        {
            Buckets = Histogram.ExponentialBuckets(0.1, 2.5, 12),
        });
        Evictions = factory.CreateCounter("modelcsi_evictions_total", "Models evicted from the cache.");
        EvictedBytes = factory.CreateCounter("modelcsi_evicted_bytes_total", "Bytes freed on disk by evictions and by collecting blobs and layers no model references.");
        PullsInProgress = factory.CreateGauge("modelcsi_pulls_in_progress", "Model pulls running now (a request joining a running pull does not add one).");
        CacheLimitBytes = factory.CreateGauge("modelcsi_cache_limit_bytes", "Most bytes the cache can hold now: cache.maxSize, or less when free space on its filesystem (after minFreePercent and reservedFreeBytes) is the tighter bound.");
        CacheFreeBytes = factory.CreateGauge("modelcsi_cache_free_bytes", "Bytes available to the driver on the cache's filesystem (statvfs).");
        EvictedModelAge = factory.CreateHistogram("modelcsi_evicted_model_age_seconds", "Time from a model's pull to its eviction; many young evictions mean the cache is too small (thrashing).", new HistogramConfiguration
        {
            Buckets = [300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400],
        });
        StaleResolutions = factory.CreateCounter("modelcsi_stale_resolutions_total", "Tag resolutions answered from a cached digest because the registry could not be asked.");
        RegistryRequests = factory.CreateCounter(
            "modelcsi_registry_requests_total",
            "Manifest and blob fetches by the endpoint that was tried (a mirror or the origin) and whether it served them.",
            new CounterConfiguration { LabelNames = ["endpoint", "role", "kind", "result"] });
    }

    /// <summary>Says which endpoint (mirror or origin) served or failed each fetch.</summary>
    public Counter RegistryRequests { get; }

    public void RequestCompleted(RegistryEndpointRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RegistryRequests.WithLabels(
            request.Endpoint,
            request.IsMirror ? "mirror" : "origin",
            request.Kind.ToString().ToLowerInvariant(),
            request.Served ? "served" : "failed").Inc();
    }

    /// <summary>Instruments on a registry of their own, for callers that do not export them.</summary>
    public static CacheMetrics Unexported() => new(Metrics.NewCustomRegistry());

    public Gauge CacheBytes { get; }

    public Gauge CacheModels { get; }

    public Counter CacheHits { get; }

    public Counter CacheMisses { get; }

    public Counter PullsStarted { get; }

    public Counter PullsSucceeded { get; }

    public Counter PullsFailed { get; }

    public Counter BytesDownloaded { get; }

    public Histogram PullDuration { get; }

    public Counter Evictions { get; }

    public Counter EvictedBytes { get; }

    /// <summary>Incremented when a pull starts, decremented when it ends however it ends.</summary>
    public Gauge PullsInProgress { get; }

    /// <summary>Set by the driver before each scrape from the options and the filesystem.</summary>
    public Gauge CacheLimitBytes { get; }

    /// <summary>Set by the driver before each scrape (statvfs of the cache directory).</summary>
    public Gauge CacheFreeBytes { get; }

    /// <summary>Observed once per evicted model: seconds since it was pulled.</summary>
    public Histogram EvictedModelAge { get; }

    /// <summary>Incremented each time a tag is resolved to a digest the cache remembers because the registry failed.</summary>
    public Counter StaleResolutions { get; }
}
