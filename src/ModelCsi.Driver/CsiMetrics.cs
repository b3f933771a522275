using Prometheus;

namespace ModelCsi.Driver;

/// <summary>The driver's own Prometheus instruments (the cache's are in <see cref="Core.Cache.CacheMetrics"/>).</summary>
internal sealed class CsiMetrics
{
    public CsiMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        // Label names as the CSI sidecars' csi_sidecar_operations_seconds has them, so one dashboard query fits both.
        Requests = factory.CreateCounter("modelcsi_csi_requests_total", "CSI requests by method and gRPC status code.", new CounterConfiguration
        {
            LabelNames = ["method_name", "grpc_status_code"],
        });
        RequestDuration = factory.CreateHistogram("modelcsi_csi_request_duration_seconds", "CSI request latency by method.", new HistogramConfiguration
        {
            LabelNames = ["method_name"],
            Buckets = Histogram.ExponentialBuckets(0.001, 4, 10),
        });
        PublishedVolumes = factory.CreateGauge("modelcsi_published_volumes", "Volumes this node has published (records under <root>/state/volumes).");
        BuildInfo = factory.CreateGauge("modelcsi_build_info", "Always 1; the labels say which build of the driver runs.", new GaugeConfiguration
        {
            LabelNames = ["version", "commit"],
        });
        BuildInfo.WithLabels(DriverVersion.Current, DriverVersion.Commit).Set(1);
    }

    /// <summary>
    /// Keeps prometheus-net's process metrics (CPU, memory, threads, GC collections) and drops its debug
    /// metrics, .NET event counters and meters: together they were most of the driver's series and nobody
    /// alerts on them. Must run before the default registry is first used.
    /// </summary>
    public static void ExportOnlyProcessDefaults() => Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
    {
        SuppressProcessMetrics = false,
        SuppressDebugMetrics = true,
        SuppressEventCounters = true,
        SuppressMeters = true,
    });

    public Counter Requests { get; }

    public Histogram RequestDuration { get; }

    public Gauge PublishedVolumes { get; }

    public Gauge BuildInfo { get; }
}
