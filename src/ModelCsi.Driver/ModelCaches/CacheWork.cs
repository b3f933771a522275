namespace ModelCsi.Driver.ModelCaches;

/// <summary>What this node is doing for one ModelCache: the request, its phase, and a way to stop it.</summary>
internal sealed class CacheWork(ModelCacheResource cache, string key, CancellationToken stopping) : IDisposable
{
    private readonly CancellationTokenSource _cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    public string Name { get; } = cache.Name;

    public string? Uid { get; } = cache.Uid;

    public string Owner { get; } = cache.Owner;

    public bool Pin { get; } = cache.Spec.Pin;

    /// <summary><see cref="WarmRequest.Key"/> (or a marker for an invalid or unresolved spec).</summary>
    public string Key { get; } = key;

    public string Phase { get; set; } = ModelCachePhase.Pending;

    public string? Digest { get; set; }

    public long SizeBytes { get; set; }

    public long DownloadedBytes { get; set; }

    public string? Message { get; set; }

    public DateTimeOffset LastTransition { get; set; }

    /// <summary>Released: the ModelCache is gone, changed, or no longer matches the node.</summary>
    public bool Released => _cancellation.IsCancellationRequested;

    public CancellationToken Token => _cancellation.Token;

    public void Release() => _cancellation.Cancel();

    public ModelCacheNodeStatus Entry(string node) => new(node, Phase, Digest, SizeBytes, DownloadedBytes, Message, LastTransition);

    public void Dispose() => _cancellation.Dispose();
}
