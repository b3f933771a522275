using Prometheus;

namespace ModelCsi.Driver;

/// <summary>The driver's own Prometheus instruments (the cache's are in <see cref="Core.Cache.CacheMetrics"/>).</summary>
internal sealed class CsiMetrics
{
    public CsiMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        Requests = factory.CreateCounter("modelcsi_csi_requests_total", "CSI requests by method and gRPC status code.", new CounterConfiguration
        {
            LabelNames = ["method", "code"],
        });
        RequestDuration = factory.CreateHistogram("modelcsi_csi_request_duration_seconds", "CSI request latency by method.", new HistogramConfiguration
        {
            LabelNames = ["method"],
            Buckets = Histogram.ExponentialBuckets(0.001, 4, 10),
        });
        PublishedVolumes = factory.CreateGauge("modelcsi_published_volumes", "Volumes this node has published (records under <root>/state/volumes).");
    }

    public Counter Requests { get; }

    public Histogram RequestDuration { get; }

    public Gauge PublishedVolumes { get; }
}
