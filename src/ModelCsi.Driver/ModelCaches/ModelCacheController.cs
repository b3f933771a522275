using k8s;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// The controller's ModelCache loop: watches ModelCaches and Nodes, resolves each <c>spec.modelRef</c> once
/// per generation to <c>status.resolvedDigest</c> (so every node pulls the same digest even if the tag moves),
/// and keeps <c>desiredNodes</c>, <c>readyNodes</c>, <c>failedNodes</c> and the Ready condition current under
/// the field manager <see cref="FieldManager"/>. Failed resolutions are retried each resync interval.
/// </summary>
public sealed class ModelCacheController : BackgroundService
{
    public const string FieldManager = "modelcsi-controller";

    private readonly IKubernetes? _client;
    private readonly ModelRefResolver _resolver;
    private readonly ModelCacheResourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0, 1);
    // Resolutions by (name, uid, generation): a digest, or an error with when it happened.
    private readonly Dictionary<(string, string?, long), (string? Digest, string? Error, DateTimeOffset At)> _resolved = [];
    private IReadOnlyDictionary<string, ModelCacheResource>? _caches;
    private IReadOnlyDictionary<string, NodeLabels>? _nodes;

    /// <param name="client">Null when no Kubernetes API is configured: the controller then does nothing.</param>
    public ModelCacheController(IKubernetes? client, ModelRefResolver resolver, ModelCacheResourceOptions options, TimeProvider time, ILogger<ModelCacheController> logger)
    {
        _client = client;
        _resolver = resolver;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_client is null || !_options.Enabled)
        {
            return Task.CompletedTask;
        }

        var caches = new ModelCacheClient(_client);
        var nodes = new NodeClient(_client);
        var backoff = new ListWatchBackoff(_options.ReconnectBackoff, _options.ReconnectBackoffMax);
        var cacheWatch = new ResourceListWatch<ModelCacheResource>("ModelCaches", caches.ListAsync, caches.WatchAsync, c => c.Name,
            found => Update(() => _caches = found), backoff, _time, _logger);
        var nodeWatch = new ResourceListWatch<NodeLabels>("Nodes", ct => nodes.ListAsync(null, ct), (version, onError, ct) => nodes.WatchAsync(null, version, onError, ct),
            n => n.Name, found => Update(() => _nodes = found), backoff, _time, _logger);
        Log.ControllerStarted(_logger, FieldManager);
        return Task.WhenAll(cacheWatch.RunAsync(stoppingToken), nodeWatch.RunAsync(stoppingToken), RunAsync(caches, stoppingToken));
    }

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
        }

        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already due.
        }
    }

    private async Task RunAsync(ModelCacheClient client, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(_options.ResyncInterval, cancellationToken);
                IReadOnlyDictionary<string, ModelCacheResource>? caches;
                IReadOnlyDictionary<string, NodeLabels>? nodes;
                lock (_lock)
                {
                    (caches, nodes) = (_caches, _nodes);
                }

                if (caches is null || nodes is null)
                {
                    continue;
                }

                foreach (var cache in caches.Values.Order(ModelCacheResource.OldestFirst))
                {
                    await ReconcileAsync(client, cache, nodes.Values, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task ReconcileAsync(ModelCacheClient client, ModelCacheResource cache, IEnumerable<NodeLabels> nodes, CancellationToken cancellationToken)
    {
        var (digest, error) = await ResolveAsync(cache, cancellationToken);
        var summary = ModelCacheSummarizer.Summarize(cache, nodes, digest, error, _time.GetUtcNow());
        if (ModelCacheSummarizer.IsCurrent(summary, cache.Status))
        {
            return;
        }

        try
        {
            await client.ApplyStatusAsync(cache.Name, ModelCacheApplyConfigurations.Summary(cache.Name, summary), FieldManager, cancellationToken);
        }
        catch (Exception e) when (e is Core.Kubernetes.KubernetesApiException or HttpRequestException or IOException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.SummaryWriteFailed(_logger, cache.Name, e.Message);
        }
    }

    private async Task<(string? Digest, string? Error)> ResolveAsync(ModelCacheResource cache, CancellationToken cancellationToken)
    {
        if (cache.Spec.Invalid is not null)
        {
            return (null, null);
        }

        if (OciReference.TryParse(cache.Spec.ModelRef, out var reference) && reference.Digest is not null)
        {
            return (reference.Digest, null);
        }

        // Resolved for this generation before (by this or an earlier controller): keep it, the tag may have moved.
        if (cache.Status.ResolvedDigest is { } known && cache.Status.ObservedGeneration == cache.Generation)
        {
            return (known, null);
        }

        var key = (cache.Name, cache.Uid, cache.Generation);
        lock (_lock)
        {
            if (_resolved.TryGetValue(key, out var earlier) && (earlier.Digest is not null || _time.GetUtcNow() - earlier.At < _options.ResyncInterval))
            {
                return (earlier.Digest, earlier.Error);
            }
        }

        (string? Digest, string? Error) result;
        try
        {
            result = (await _resolver.ResolveAsync(cache.Spec, cancellationToken), null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.ResolveFailed(_logger, cache.Name, cache.Spec.ModelRef, e.Message);
            result = (null, e.Message);
        }

        lock (_lock)
        {
            _resolved[key] = (result.Digest, result.Error, _time.GetUtcNow());
        }

        return result;
    }
}
