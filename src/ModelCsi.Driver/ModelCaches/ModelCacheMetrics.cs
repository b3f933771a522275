using Prometheus;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>This node's ModelCaches by phase, and the bytes their pins hold.</summary>
public sealed class ModelCacheMetrics
{
    private readonly Gauge _models;
    private readonly Gauge _pinnedBytes;

    public ModelCacheMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _models = factory.CreateGauge("modelcsi_modelcache_models", "ModelCaches matching this node, by phase (Pending, Pulling, Ready, Failed).",
            new GaugeConfiguration { LabelNames = ["phase"] });
        _pinnedBytes = factory.CreateGauge("modelcsi_modelcache_pinned_bytes", "Bytes of cached models pinned by ModelCaches on this node.");
        Set([], 0);
    }

    public void Set(IEnumerable<string> phases, long pinnedBytes)
    {
        var counts = phases.GroupBy(p => p, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var phase in ModelCachePhase.All)
        {
            _models.WithLabels(phase).Set(counts.GetValueOrDefault(phase));
        }

        _pinnedBytes.Set(pinnedBytes);
    }

    public double Models(string phase) => _models.WithLabels(phase).Value;

    public double PinnedBytes => _pinnedBytes.Value;
}
