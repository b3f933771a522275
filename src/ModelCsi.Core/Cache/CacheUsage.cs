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

    // While a walk runs: when each path was last set or removed (by version), so the walk's correction does not
    // undo a change it could not see. Empty when no walk runs, so it never grows without bound.
    private readonly Dictionary<string, long> _changedAt = new(StringComparer.Ordinal);
    private long _total;
    private long _version;
    private int _walksRunning;

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

    /// <summary>Starts a correcting walk; returns the mark to pass to <see cref="Correct"/>. Each call needs an <see cref="EndWalk"/>.</summary>
    public long BeginWalk()
    {
        lock (_lock)
        {
            _walksRunning++;
            return _version;
        }
    }

    public void EndWalk()
    {
        lock (_lock)
        {
            if (--_walksRunning == 0)
            {
                _changedAt.Clear();
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
            Changed(path);
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

            Changed(path);
            totalChanged?.Invoke(_total);
        }
    }

    /// <summary>
    /// Sets each path to its length on disk now, or removes it when the file is gone: one stat each, taken under
    /// the lock, so a completed download's rename and its <see cref="Remove"/> cannot fall between a stat and its
    /// use and leave a partial counted that is no longer there.
    /// </summary>
    public void RefreshFiles(IEnumerable<string> paths)
    {
        lock (_lock)
        {
            foreach (var path in paths)
            {
                var file = new FileInfo(path);
                if (file.Exists)
                {
                    Set(path, file.Length);
                }
                else if (_items.ContainsKey(path) && !Directory.Exists(path))
                {
                    // A partial tar layer is a directory: its size stays as the last walk measured it until the
                    // layer completes (and replaces it) or is discarded.
                    Remove(path);
                }
            }
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

    // Under _lock.
    private void Changed(string path)
    {
        _version++;
        if (_walksRunning > 0)
        {
            _changedAt[path] = _version;
        }
    }

    /// <summary>
    /// Takes a walk that started at <paramref name="walkStartedAt"/> (from <see cref="BeginWalk"/>) as the truth for
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

            _total = _items.Values.Sum();
            totalChanged?.Invoke(_total);
            return _total - before;
        }
    }
}
