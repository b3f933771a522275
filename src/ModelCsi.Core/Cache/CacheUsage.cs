namespace ModelCsi.Core.Cache;

/// <summary>
/// The bytes each piece of cache content (blob file, partial download, unpacked layer directory) holds, kept in
/// memory: measured by one walk at start, then changed as content is added, grows or is removed, so nobody has to
/// walk the cache to know its size. A periodic re-walk corrects whatever drifted (a file changed behind the
/// driver's back), leaving alone what changed while it walked.
/// </summary>
internal sealed class CacheUsage(Action<long>? totalChanged = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _items = new(StringComparer.Ordinal);

    // When each path was last set or removed (by version), so a correction from a walk that started earlier
    // does not undo a change the walk could not see. Pruned by each correction.
    private readonly Dictionary<string, long> _changedAt = new(StringComparer.Ordinal);
    private long _total;
    private long _version;

    /// <summary>Bytes the cache holds now, as tracked.</summary>
    public long Total
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>A mark to pass to <see cref="Correct"/>: changes after it are newer than a walk started now.</summary>
    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>Records that <paramref name="path"/> holds <paramref name="bytes"/> now (added, grown or replaced).</summary>
    public void Set(string path, long bytes)
    {
        lock (_lock)
        {
            _total += bytes - _items.GetValueOrDefault(path);
            _items[path] = bytes;
            _changedAt[path] = ++_version;
            totalChanged?.Invoke(_total);
        }
    }

    public void Remove(string path)
    {
        lock (_lock)
        {
            if (_items.Remove(path, out var bytes))
            {
                _total -= bytes;
            }

            _changedAt[path] = ++_version;
            totalChanged?.Invoke(_total);
        }
    }

    /// <summary>A copy of every tracked path and its bytes.</summary>
    public Dictionary<string, long> Snapshot()
    {
        lock (_lock)
        {
            return new Dictionary<string, long>(_items, StringComparer.Ordinal);
        }
    }

    /// <summary>The partial downloads tracked now.</summary>
    public List<string> Partials()
    {
        lock (_lock)
        {
            return _items.Keys.Where(k => k.EndsWith(".partial", StringComparison.Ordinal)).ToList();
        }
    }

    /// <summary>Replaces everything with a walk's result (at start, before anything else uses the store).</summary>
    public void Reset(IReadOnlyDictionary<string, long> walked)
    {
        lock (_lock)
        {
            _items.Clear();
            _changedAt.Clear();
            foreach (var (path, bytes) in walked)
            {
                _items[path] = bytes;
            }

            _total = _items.Values.Sum();
            _version++;
            totalChanged?.Invoke(_total);
        }
    }

    /// <summary>
    /// Takes a walk that started at <paramref name="walkStartedAt"/> (a <see cref="Version"/>) as the truth for
    /// every path not changed since; returns the bytes by which the tracked total was off.
    /// </summary>
    public long Correct(IReadOnlyDictionary<string, long> walked, long walkStartedAt)
    {
        lock (_lock)
        {
            var before = _total;
            foreach (var path in walked.Keys.Union(_items.Keys, StringComparer.Ordinal).ToList())
            {
                if (_changedAt.GetValueOrDefault(path) > walkStartedAt)
                {
                    continue;
                }

                if (walked.TryGetValue(path, out var bytes))
                {
                    _items[path] = bytes;
                }
                else
                {
                    _items.Remove(path);
                }
            }

            foreach (var path in _changedAt.Where(p => p.Value <= walkStartedAt).Select(p => p.Key).ToList())
            {
                _changedAt.Remove(path);
            }

            _total = _items.Values.Sum();
            totalChanged?.Invoke(_total);
            return _total - before;
        }
    }
}
