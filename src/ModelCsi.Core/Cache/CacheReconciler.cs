namespace ModelCsi.Core.Cache;

/// <summary>
/// Start-up repair of whatever a crash (kill -9 at any moment) left between the records and the disk. Runs before
/// anything else uses the store, so it never races a pull.
/// </summary>
internal sealed class CacheReconciler(ModelStore store)
{
    private readonly CacheLayout _layout = store.Layout;
    private int _fixes;

    /// <summary>
    /// Makes records and disk agree, logging each fix: empties tmp/ (work of a dead process is derived from blobs,
    /// which resume); drops records whose model directory is gone; rebuilds the record of a model directory
    /// from its manifest blob, or removes the directory when the manifest is unknown; deletes leftover temp
    /// files, stale partial downloads and content no model references. Partial downloads are kept for resuming.
    /// Then loads the record index and measures the content once, for the store to track from there.
    /// </summary>
    /// <returns>How many fixes were made.</returns>
    public int Run()
    {
        EmptyTemp();
        DropBrokenRecords();
        RecordOrRemoveModelDirectories();
        RemoveLeftoverBlobFiles();
        RemoveStalePartialLayers();

        // The one full read of the records and the one walk of the content: from here on, both are kept in memory
        // and changed as the store changes.
        store.Records.Load();
        store.Usage.Reset(CacheWalk.Measure(_layout));

        var collected = store.CollectGarbage(neededBytes: long.MinValue / 2);
        _fixes += collected.Evicted.Count;
        if (collected.FreedBytes > 0)
        {
            Log.Reconciled(store.Logger, $"removed {collected.FreedBytes} bytes of blobs and layers no model references", _layout.Root);
            _fixes++;
        }

        Log.ReconcileDone(store.Logger, _layout.Root, _fixes);
        return _fixes;
    }

    private void EmptyTemp()
    {
        foreach (var entry in new DirectoryInfo(_layout.Temp).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                store.DeleteTree(entry.FullName);
            }
            else
            {
                entry.Delete();
            }

            Log.RemovedLeftover(store.Logger, entry.FullName);
            _fixes++;
        }
    }

    private void DropBrokenRecords()
    {
        foreach (var file in Directory.EnumerateFiles(_layout.Index))
        {
            if (!file.EndsWith(".json", StringComparison.Ordinal))
            {
                File.Delete(file);
                Fixed("removed an unfinished record file", file);
                continue;
            }

            var record = ModelRecords.TryRead(file);
            if (record is null || !Directory.Exists(_layout.Model(record.Key)) || file != _layout.ModelRecord(record.Key))
            {
                File.Delete(file);
                Fixed(record is null ? "removed an unreadable record" : "removed the record of a model that is not on disk", file);
            }
        }
    }

    private void RecordOrRemoveModelDirectories()
    {
        foreach (var dir in Directory.EnumerateDirectories(_layout.Models))
        {
            var key = CacheKeys.FromFileName(Path.GetFileName(dir));
            if (key is not null && File.Exists(_layout.ModelRecord(key)))
            {
                continue;
            }

            // A subset's selection lives only in its record (the directory name holds a hash of it), so a subset
            // without a record cannot be described again; it is removed and assembled anew from the shared blobs when asked for.
            var digest = key is null || CacheKeys.IsSubset(key) ? null : key;
            if (digest is not null && store.Records.TryReadManifest(digest) is { } manifest)
            {
                var when = new DateTimeOffset(Directory.GetLastWriteTimeUtc(dir), TimeSpan.Zero);
                store.Records.Write(new CachedModelRecord
                {
                    ManifestDigest = digest,
                    References = [],
                    Size = manifest.Layers.Sum(l => l.Size),
                    Layers = manifest.Layers.Select(l => l.Digest).ToList(),
                    PulledAt = when,
                    LastUsedAt = when,
                });
                Fixed("rebuilt the record of a model from its manifest", dir);
            }
            else
            {
                var hidden = Path.Combine(_layout.Temp, "unknown-" + Guid.NewGuid().ToString("N"));
                Directory.Move(dir, hidden);
                store.DeleteTree(hidden);
                Fixed(key is not null && CacheKeys.IsSubset(key)
                    ? "removed a model subset directory without record"
                    : "removed a model directory without record or manifest", dir);
            }
        }
    }

    private void RemoveLeftoverBlobFiles()
    {
        var now = store.Time.GetUtcNow().UtcDateTime;
        foreach (var file in new DirectoryInfo(_layout.Blobs).EnumerateFiles())
        {
            if (file.Name.Contains(".tmp", StringComparison.Ordinal))
            {
                file.Delete();
                Fixed("removed an unfinished blob file", file.FullName);
            }
            else if (file.Name.EndsWith(".partial", StringComparison.Ordinal))
            {
                var complete = File.Exists(file.FullName[..^".partial".Length]);
                if (complete || now - file.LastWriteTimeUtc > store.Options.PartialMaxAge)
                {
                    file.Delete();
                    Fixed(complete ? "removed a partial download of a blob that is complete" : "removed a stale partial download", file.FullName);
                }
            }
        }
    }

    /// <summary>A plain tar layer's partial directory (tree, journal, checkpoint) stays for resuming, like a partial blob.</summary>
    private void RemoveStalePartialLayers()
    {
        var now = store.Time.GetUtcNow().UtcDateTime;
        foreach (var dir in new DirectoryInfo(_layout.Layers).EnumerateDirectories("*.partial"))
        {
            var complete = Directory.Exists(dir.FullName[..^".partial".Length]);
            if (complete || now - dir.LastWriteTimeUtc > store.Options.PartialMaxAge)
            {
                var hidden = Path.Combine(_layout.Temp, "partial-layer-" + Guid.NewGuid().ToString("N"));
                Directory.Move(dir.FullName, hidden);
                store.DeleteTree(hidden);
                Fixed(complete ? "removed a partial layer that is complete" : "removed a stale partial layer", dir.FullName);
            }
        }
    }

    private void Fixed(string fix, string path)
    {
        Log.Reconciled(store.Logger, fix, path);
        _fixes++;
    }
}
