namespace ModelCsi.Core.Cache;

/// <summary>The leases held on each model: the only in-use bookkeeping of the cache.</summary>
public sealed class LeaseTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<ModelLease>> _byKey = new(StringComparer.Ordinal);

    public ModelLease Acquire(string cacheKey, LeaseHolder holder)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheKey);
        var lease = new ModelLease(this, cacheKey, holder);
        lock (_lock)
        {
            if (!_byKey.TryGetValue(cacheKey, out var leases))
            {
                _byKey[cacheKey] = leases = [];
            }

            leases.Add(lease);
        }

        return lease;
    }

    public bool IsHeld(string cacheKey)
    {
        lock (_lock)
        {
            return _byKey.ContainsKey(cacheKey);
        }
    }

    /// <summary>How many leases the model has now.</summary>
    public int Count(string cacheKey)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(cacheKey, out var leases) ? leases.Count : 0;
        }
    }

    /// <summary>Who holds the model now, for <c>cache ls</c> and logs.</summary>
    public IReadOnlyList<LeaseHolder> Holders(string cacheKey)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(cacheKey, out var leases) ? leases.Select(l => l.Holder).ToList() : [];
        }
    }

    /// <summary>Every model with at least one lease, and its holders.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LeaseHolder>> Snapshot()
    {
        lock (_lock)
        {
            return _byKey.ToDictionary(p => p.Key, p => (IReadOnlyList<LeaseHolder>)p.Value.Select(l => l.Holder).ToList(), StringComparer.Ordinal);
        }
    }

    internal void Release(ModelLease lease)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(lease.CacheKey, out var leases) && leases.Remove(lease) && leases.Count == 0)
            {
                _byKey.Remove(lease.CacheKey);
            }
        }
    }
}
