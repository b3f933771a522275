using ModelCsi.Driver.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Writes this node's <c>status.nodes</c> entries by server-side apply under the field manager
/// <c>modelcsi-node/NODE</c>, so every node owns its entry alone and none overwrites another's.
/// Phase changes are written at once; download progress at most once per interval for the node.
/// Writes are serialised; a failed write is logged and repaired on the next pass of the reconciler.
/// </summary>
public sealed class NodeStatusWriter
{
    private readonly ModelCacheClient _client;
    private readonly TimeSpan _progressInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ModelCacheNodeStatus?> _written = new(StringComparer.Ordinal);
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;

    public NodeStatusWriter(ModelCacheClient client, string node, TimeSpan progressInterval, TimeProvider time, ILogger logger)
    {
        _client = client;
        Node = node;
        FieldManager = "modelcsi-node/" + node;
        _progressInterval = progressInterval;
        _time = time;
        _logger = logger;
    }

    public string Node { get; }

    public string FieldManager { get; }

    /// <summary>Writes the entry (null: removes this node's entry). False when it could not be written.</summary>
    public async Task<bool> WriteAsync(string cache, ModelCacheNodeStatus? entry, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _client.ApplyStatusAsync(cache, ModelCacheApplyConfigurations.NodeEntry(cache, entry), FieldManager, cancellationToken);
            lock (_lock)
            {
                _written[cache] = entry;
            }

            return true;
        }
        catch (Exception e) when (e is Core.Kubernetes.KubernetesApiException or HttpRequestException or IOException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.StatusWriteFailed(_logger, cache, e.Message);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes a progress entry unless the node wrote progress less than the interval ago (then drops it).</summary>
    public void Progress(string cache, ModelCacheNodeStatus entry, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _lastProgress < _progressInterval)
            {
                return;
            }

            _lastProgress = now;
        }

        _ = WriteAsync(cache, entry, cancellationToken);
    }

    /// <summary>The entry last written for the cache (null when removed or never written).</summary>
    public ModelCacheNodeStatus? Written(string cache)
    {
        lock (_lock)
        {
            return _written.GetValueOrDefault(cache);
        }
    }

    public void Forget(string cache)
    {
        lock (_lock)
        {
            _written.Remove(cache);
        }
    }
}
