using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>Start-up repair of whatever a crash (kill -9 at any moment) left between the records and the disk.</summary>
public sealed partial class ModelCache
{
    /// <summary>
    /// Makes records and disk agree, logging each fix: empties tmp/ (work of a dead process is derived from blobs,
    /// which resume); drops records whose model directory is gone; rebuilds the record of a model directory
    /// from its manifest blob, or removes the directory when the manifest is unknown; deletes leftover temp
    /// files, stale partial downloads and content no model references. Partial downloads are kept for resuming.
    /// Runs before anything else uses the cache, so it never races a pull.
    /// </summary>
    /// <returns>How many fixes were made.</returns>
    public int Reconcile()
    {
        var fixes = 0;
        foreach (var entry in new DirectoryInfo(_layout.Temp).EnumerateFileSystemInfos())
        {
            DeleteEntry(entry);
            Log.RemovedLeftover(_logger, entry.FullName);
            fixes++;
        }

        foreach (var file in Directory.EnumerateFiles(_layout.Index))
        {
            if (!file.EndsWith(".json", StringComparison.Ordinal))
            {
                File.Delete(file);
                Log.Reconciled(_logger, "removed an unfinished record file", file);
                fixes++;
                continue;
            }

            var record = TryReadRecord(file);
            if (record is null || !Directory.Exists(_layout.Model(record.Key)) || file != _layout.ModelRecord(record.Key))
            {
                File.Delete(file);
                Log.Reconciled(_logger, record is null ? "removed an unreadable record" : "removed the record of a model that is not on disk", file);
                fixes++;
            }
        }

        foreach (var dir in Directory.EnumerateDirectories(_layout.Models))
        {
            var key = ModelCacheKey.FromFileName(Path.GetFileName(dir));
            if (key is not null && File.Exists(_layout.ModelRecord(key)))
            {
                continue;
            }

            // A subset's selection lives only in its record (the directory name holds a hash of it), so a subset
            // without a record cannot be described again; it is removed and assembled anew from the shared blobs when asked for.
            var digest = key is null || ModelCacheKey.IsSubset(key) ? null : key;
            if (digest is not null && TryReadManifest(digest) is { } manifest)
            {
                var when = new DateTimeOffset(Directory.GetLastWriteTimeUtc(dir), TimeSpan.Zero);
                WriteRecord(new CachedModelRecord
                {
                    ManifestDigest = digest,
                    References = [],
                    Size = manifest.Layers.Sum(l => l.Size),
                    Layers = manifest.Layers.Select(l => l.Digest).ToList(),
                    PulledAt = when,
                    LastUsedAt = when,
                });
                Log.Reconciled(_logger, "rebuilt the record of a model from its manifest", dir);
            }
            else
            {
                var hidden = Path.Combine(_layout.Temp, "unknown-" + Guid.NewGuid().ToString("N"));
                Directory.Move(dir, hidden);
                DeleteTree(hidden);
                Log.Reconciled(_logger, key is not null && ModelCacheKey.IsSubset(key)
                    ? "removed a model subset directory without record"
                    : "removed a model directory without record or manifest", dir);
            }

            fixes++;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var file in new DirectoryInfo(_layout.Blobs).EnumerateFiles())
        {
            if (file.Name.Contains(".tmp", StringComparison.Ordinal))
            {
                file.Delete();
                Log.Reconciled(_logger, "removed an unfinished blob file", file.FullName);
                fixes++;
            }
            else if (file.Name.EndsWith(".partial", StringComparison.Ordinal))
            {
                var complete = File.Exists(file.FullName[..^".partial".Length]);
                if (complete || now - file.LastWriteTimeUtc > _options.PartialMaxAge)
                {
                    file.Delete();
                    Log.Reconciled(_logger, complete ? "removed a partial download of a blob that is complete" : "removed a stale partial download", file.FullName);
                    fixes++;
                }
            }
        }

        var collected = CollectGarbage(neededBytes: long.MinValue / 2);
        fixes += collected.Evicted.Count;
        if (collected.FreedBytes > 0)
        {
            Log.Reconciled(_logger, $"removed {collected.FreedBytes} bytes of blobs and layers no model references", _layout.Root);
            fixes++;
        }

        Log.ReconcileDone(_logger, _layout.Root, fixes);
        return fixes;
    }

    private void DeleteEntry(FileSystemInfo entry)
    {
        if (entry is DirectoryInfo && entry.LinkTarget is null)
        {
            DeleteTree(entry.FullName);
        }
        else
        {
            entry.Delete();
        }
    }
}
