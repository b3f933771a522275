using k8s;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Driver.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// The node plugin's ModelCache loop: watches every ModelCache and this node's own Node object, and hands
/// both to the <see cref="NodeCacheReconciler"/>. Does nothing without a Kubernetes API or with ModelCaches off.
/// </summary>
public sealed class ModelCacheNodeAgent : BackgroundService
{
    private readonly IKubernetes? _client;
    private readonly string _node;
    private readonly IModelWarmer? _warmer;
    private readonly IKubernetesApi? _secrets;
    private readonly ModelCacheResourceOptions _options;
    private readonly ModelCacheMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    /// <param name="client">Null when no Kubernetes API is configured: the agent then does nothing.</param>
    /// <param name="warmer">The node cache; null when none is wired (the agent then does nothing).</param>
    /// <param name="secrets">Reads pull secrets; null when <see cref="ModelCacheResourceOptions.PullSecrets"/> is off.</param>
    public ModelCacheNodeAgent(IKubernetes? client, string node, IModelWarmer? warmer, IKubernetesApi? secrets, ModelCacheResourceOptions options,
        ModelCacheMetrics metrics, TimeProvider time, ILoggerFactory loggers)
    {
        _client = client;
        _node = node;
        _warmer = warmer;
        _secrets = secrets;
        _options = options;
        _metrics = metrics;
        _time = time;
        _loggers = loggers;
    }

    /// <summary>The ModelCache list+watch, once running (for tests and diagnostics).</summary>
    public ResourceListWatch<ModelCacheResource>? Caches { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_client is null || _warmer is null || !_options.Enabled)
        {
            return Task.CompletedTask;
        }

        var logger = _loggers.CreateLogger<ModelCacheNodeAgent>();
        var caches = new ModelCacheClient(_client);
        var nodes = new NodeClient(_client);
        var status = new NodeStatusWriter(caches, _node, _options.ProgressInterval, _time, logger);
        var reconciler = new NodeCacheReconciler(_warmer, status, _secrets, _options, _metrics, _time, _loggers.CreateLogger<NodeCacheReconciler>());
        var backoff = new ListWatchBackoff(_options.ReconnectBackoff, _options.ReconnectBackoffMax);
        Caches = new ResourceListWatch<ModelCacheResource>("ModelCaches", caches.ListAsync, caches.WatchAsync, c => c.Name,
            reconciler.OnCaches, backoff, _time, logger);
        var node = new ResourceListWatch<NodeLabels>("Node " + _node, ct => nodes.ListAsync(_node, ct),
            (version, onError, ct) => nodes.WatchAsync(_node, version, onError, ct), n => n.Name,
            found => reconciler.OnNode(found.GetValueOrDefault(_node)), backoff, _time, logger);
        Log.NodeAgentStarted(logger, _node, status.FieldManager);
        return Task.WhenAll(Caches.RunAsync(stoppingToken), node.RunAsync(stoppingToken), reconciler.RunAsync(stoppingToken));
    }
}
