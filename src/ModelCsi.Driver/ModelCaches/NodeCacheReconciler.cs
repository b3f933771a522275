using System.Text;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// This node's side of ModelCaches. From the watched ModelCaches and the node's labels it works out which
/// ModelCaches match the node, warms them one at a time oldest first (so when pins outgrow the cache the
/// newest ones fail), and reports each in the node's own status entry. A ModelCache that is deleted, changes
/// or stops matching is released at once: its pin dropped and (if the object is still there) its entry removed.
/// </summary>
public sealed class NodeCacheReconciler
{
    private readonly IModelWarmer _warmer;
    private readonly NodeStatusWriter _status;
    private readonly IKubernetesApi? _secrets;
    private readonly ModelCacheResourceOptions _options;
    private readonly ModelCacheMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CacheWork> _works = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, 1);
    private IReadOnlyDictionary<string, ModelCacheResource>? _caches;
    private IReadOnlyDictionary<string, string>? _labels;

    /// <param name="secrets">Reads <c>spec.pullSecretRef</c>; null when pull secrets are off.</param>
    public NodeCacheReconciler(IModelWarmer warmer, NodeStatusWriter status, IKubernetesApi? secrets, ModelCacheResourceOptions options,
        ModelCacheMetrics metrics, TimeProvider time, ILogger logger)
    {
        _warmer = warmer;
        _status = status;
        _secrets = secrets;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public void OnCaches(IReadOnlyDictionary<string, ModelCacheResource> caches)
    {
        lock (_lock)
        {
            _caches = caches;
            ReleaseStale();
        }

        Signal();
    }

    /// <summary>The node's labels; null when the Node object does not exist (then only selectors matching no labels apply).</summary>
    public void OnNode(NodeLabels? node)
    {
        lock (_lock)
        {
            _labels = node?.Labels ?? new Dictionary<string, string>();
            ReleaseStale();
        }

        Signal();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(_options.RetryFailedAfter, cancellationToken);
                await ReconcileAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        lock (_lock)
        {
            foreach (var work in _works.Values)
            {
                work.Dispose();
            }

            _works.Clear();
        }
    }

    private void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already due.
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        List<(ModelCacheResource Cache, string Key)> desired;
        lock (_lock)
        {
            if (_caches is null || _labels is null)
            {
                return;
            }

            desired = [.. Matching().Select(c => (c, KeyOf(c)))];
            // Pins taken back from disk at start for ModelCaches that are gone (or no longer match) are let go once
            // the full list is known; the others are taken over by their work below.
            var wanted = desired.Select(d => d.Cache.Owner).Concat(_works.Values.Select(w => w.Owner)).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in _warmer.PinnedOwners.Where(o => !wanted.Contains(o)).ToList())
            {
                _warmer.Unpin(stale);
            }
        }

        foreach (var (cache, key) in desired)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CacheWork work;
            lock (_lock)
            {
                if (_works.TryGetValue(cache.Name, out var existing) && !existing.Released && existing.Key == key && !RetryDue(existing))
                {
                    work = existing;
                }
                else
                {
                    if (existing is not null)
                    {
                        Release(existing, "its spec changed", removeEntry: false);
                    }

                    // Released since the snapshot was taken: the next pass sees the new state.
                    if (!Current(cache))
                    {
                        continue;
                    }

                    work = new CacheWork(cache, key, cancellationToken) { LastTransition = _time.GetUtcNow() };
                    _works[cache.Name] = work;
                }
            }

            if (work.Phase is ModelCachePhase.Pending && work.Message is null)
            {
                await StartAsync(cache, work);
            }
            else if (!Same(_status.Written(cache.Name), work.Entry(_status.Node)) || !Same(cache.Status.Node(_status.Node), work.Entry(_status.Node)))
            {
                // A write failed or the entry was lost: write it again.
                await _status.WriteAsync(cache.Name, work.Entry(_status.Node), work.Token);
            }
        }

        UpdateMetrics();
    }

    private async Task StartAsync(ModelCacheResource cache, CacheWork work)
    {
        var spec = cache.Spec;
        var digest = cache.Status.ResolvedDigest ?? DigestOf(spec.ModelRef);
        if (spec.Invalid is not null)
        {
            await SetAsync(cache.Name, work, ModelCachePhase.Failed, spec.Invalid);
            return;
        }

        if (digest is null)
        {
            // Every node pulls the digest the controller resolved, so a tag moving mid-rollout splits nothing.
            await SetAsync(cache.Name, work, ModelCachePhase.Pending, $"waiting for the controller to resolve {spec.ModelRef}");
            return;
        }

        try
        {
            var dockerConfig = await ReadPullSecretAsync(spec.PullSecretRef, work.Token);
            var request = new WarmRequest(spec.ModelRef, cache.Status.ResolvedDigest, spec.Selection.ToAttributes(), spec.PullPolicy, dockerConfig, cache.Owner, spec.Pin);
            Log.Warming(_logger, cache.Name, request.ToString());
            await SetAsync(cache.Name, work, ModelCachePhase.Pulling, null);
            var progress = new WarmProgress(bytes =>
            {
                if (work.Phase == ModelCachePhase.Pulling && !work.Released)
                {
                    work.DownloadedBytes = bytes;
                    _status.Progress(cache.Name, work.Entry(_status.Node), work.Token);
                }
            });
            var warmed = await _warmer.WarmAndPinAsync(request, progress, work.Token);
            lock (_lock)
            {
                if (work.Released)
                {
                    // Released while the pull finished: the pin it just took must not outlive the release.
                    _warmer.Unpin(work.Owner);
                    return;
                }

                work.Digest = warmed.Digest;
                work.SizeBytes = warmed.SizeBytes;
                work.DownloadedBytes = Math.Max(work.DownloadedBytes, 0);
            }

            Log.Warmed(_logger, cache.Name, warmed.Digest, warmed.SizeBytes);
            await SetAsync(cache.Name, work, ModelCachePhase.Ready, null);
        }
        catch (OperationCanceledException) when (work.Token.IsCancellationRequested)
        {
            // Released (or shutting down); the release already dropped the pin and the entry.
        }
        catch (Exception e)
        {
            Log.WarmFailed(_logger, cache.Name, e.Message);
            await SetAsync(cache.Name, work, ModelCachePhase.Failed, e.Message);
        }
    }

    private async Task SetAsync(string cache, CacheWork work, string phase, string? message)
    {
        lock (_lock)
        {
            if (work.Phase != phase)
            {
                work.LastTransition = _time.GetUtcNow();
            }

            work.Phase = phase;
            work.Message = message;
        }

        UpdateMetrics();
        if (!work.Released)
        {
            await _status.WriteAsync(cache, work.Entry(_status.Node), work.Token);
        }
    }

    private async Task<string?> ReadPullSecretAsync(PullSecretReference? reference, CancellationToken cancellationToken)
    {
        if (reference is null)
        {
            return null;
        }

        if (_secrets is null)
        {
            throw new InvalidOperationException($"spec.pullSecretRef {reference} is set but pull secrets are off on this driver (modelCache.pullSecrets)");
        }

        var secret = await _secrets.GetSecretAsync(reference.Namespace, reference.Name, cancellationToken)
            ?? throw new InvalidOperationException($"pull secret {reference} not found");
        return secret.Type == KubernetesSecret.DockerConfigJsonType && secret.Data.TryGetValue(KubernetesSecret.DockerConfigJsonKey, out var json)
            ? Encoding.UTF8.GetString(json)
            : throw new InvalidOperationException($"pull secret {reference} is not of type {KubernetesSecret.DockerConfigJsonType}");
    }

    /// <summary>Releases work for ModelCaches that are gone, replaced, or no longer match. Called under the lock.</summary>
    private void ReleaseStale()
    {
        if (_caches is null || _labels is null)
        {
            return;
        }

        var matching = Matching().ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var work in _works.Values.ToList())
        {
            if (!matching.TryGetValue(work.Name, out var cache) || cache.Uid != work.Uid)
            {
                var exists = _caches.TryGetValue(work.Name, out var still) && still.Uid == work.Uid;
                Release(work, exists ? "the node no longer matches" : "deleted", removeEntry: exists);
            }
        }
    }

    private void Release(CacheWork work, string why, bool removeEntry)
    {
        work.Release();
        _works.Remove(work.Name);
        _warmer.Unpin(work.Owner);
        Log.Released(_logger, work.Name, why);
        if (removeEntry)
        {
            _ = _status.WriteAsync(work.Name, null, CancellationToken.None);
        }
        else
        {
            _status.Forget(work.Name);
        }

        work.Dispose();
        UpdateMetricsLocked();
    }

    private IEnumerable<ModelCacheResource> Matching() =>
        _caches!.Values.Where(c => c.Spec.NodeSelector.Matches(_labels!)).Order(ModelCacheResource.OldestFirst);

    private bool Current(ModelCacheResource cache) =>
        _caches!.TryGetValue(cache.Name, out var now) && now.Uid == cache.Uid && now.Spec.NodeSelector.Matches(_labels!);

    // An invalid spec fails the same way every time; only a change to it (a new key) is worth another look.
    private bool RetryDue(CacheWork work) => work.Phase == ModelCachePhase.Failed && !work.Key.StartsWith("invalid:", StringComparison.Ordinal)
        && _time.GetUtcNow() - work.LastTransition >= _options.RetryFailedAfter;

    private static string KeyOf(ModelCacheResource cache) => cache.Spec.Invalid is { } invalid
        ? "invalid:" + invalid
        : new WarmRequest(cache.Spec.ModelRef, cache.Status.ResolvedDigest ?? DigestOf(cache.Spec.ModelRef), cache.Spec.Selection.ToAttributes(),
            cache.Spec.PullPolicy, null, cache.Owner, cache.Spec.Pin).Key;

    private static string? DigestOf(string modelRef) => OciReference.TryParse(modelRef, out var reference) ? reference.Digest : null;

    private static bool Same(ModelCacheNodeStatus? a, ModelCacheNodeStatus b) =>
        a is not null && a.Phase == b.Phase && a.Digest == b.Digest && a.SizeBytes == b.SizeBytes && a.Message == b.Message;

    private void UpdateMetrics()
    {
        lock (_lock)
        {
            UpdateMetricsLocked();
        }
    }

    private void UpdateMetricsLocked() =>
        _metrics.Set(_works.Values.Select(w => w.Phase).ToList(), _works.Values.Where(w => w.Pin && w.Phase == ModelCachePhase.Ready).Sum(w => w.SizeBytes));
}
