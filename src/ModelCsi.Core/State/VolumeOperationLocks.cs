namespace ModelCsi.Core.State;

/// <summary>
/// One operation at a time per volume id and target path. A second caller waits briefly and is then
/// told to come back later (the driver answers Aborted; kubelet retries with back-off).
/// </summary>
public sealed class VolumeOperationLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// Returns a releaser, or null when another operation still holds the key after <paramref name="wait"/>.
    /// </summary>
    public async Task<IDisposable?> TryAcquireAsync(string volumeId, string targetPath, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var key = volumeId + "\0" + targetPath;
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }
            entry.Users++;
        }
        var acquired = false;
        try
        {
            acquired = await entry.Semaphore.WaitAsync(wait, cancellationToken);
        }
        finally
        {
            if (!acquired)
            {
                Leave(key, entry);
            }
        }
        return acquired ? new Releaser(this, key, entry) : null;
    }

    /// <summary>Number of keys currently held or waited on; lets tests prove entries are not leaked.</summary>
    public int ActiveKeys
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Releaser(VolumeOperationLocks owner, string key, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                entry.Semaphore.Release();
                owner.Leave(key, entry);
            }
        }
    }
}
