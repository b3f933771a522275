namespace ModelCsi.Core.Cache;

/// <summary>
/// A claim on one model (by <see cref="CacheKeys"/>): while any lease on it is undisposed, nothing evicts it.
/// Holders keep the lease as long as they use the model and dispose it when done; disposing twice is harmless.
/// </summary>
public sealed class ModelLease : IDisposable
{
    private readonly LeaseTable _table;
    private int _released;

    internal ModelLease(LeaseTable table, string cacheKey, LeaseHolder holder)
    {
        _table = table;
        CacheKey = cacheKey;
        Holder = holder;
    }

    public string CacheKey { get; }

    public LeaseHolder Holder { get; }

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _table.Release(this);
        }
    }

    public override string ToString() => $"{Holder} on {CacheKey}";
}
