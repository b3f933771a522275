using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// One collection pass of the <see cref="ModelStore"/>, run under its gate: least recently used models nobody
/// leases go first, and blobs or layers nothing references go with them. It works from memory (the tracked sizes
/// and the record index) plus statvfs and a stat of each unreferenced entry, and only renames what it removes:
/// cache hits wait on the same gate.
/// </summary>
internal sealed class CacheCollector(ModelStore store)
{
    // Pulls in progress count as this many references, so no eviction arithmetic ever frees their content.
    private const int PullReferenceWeight = 1_000_000;

    private readonly CacheLayout _layout = store.Layout;

    // One statvfs per collection, not one per candidate weighed.
    private readonly Lazy<(long Free, long Total, long Reserve)?> _fileSystem = new(store.FileSystemSpace, LazyThreadSafetyMode.None);

    public EvictionResult Collect(long needed, bool dryRun, List<string> trash)
    {
        var usage = store.Usage.Snapshot();
        var before = usage.Values.Sum();
        var models = ReadModels();
        var pulls = store.ActivePulls.ToList();

        // How many models (or pulls in progress) reference each piece of content.
        var references = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            foreach (var item in model.Content)
            {
                references[item] = references.GetValueOrDefault(item) + 1;
            }
        }

        var pulling = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pull in pulls)
        {
            foreach (var item in LayerContent.Of(_layout, pull.ManifestDigest, pull.Manifest))
            {
                references[item] = references.GetValueOrDefault(item) + PullReferenceWeight;
            }

            // Its downloads in progress too: a tar layer's partial blob is not where the layer ends up.
            foreach (var blob in pull.Manifest.Layers.Append(pull.Manifest.Config))
            {
                pulling.Add(_layout.PartialBlob(blob.Digest));
            }

            foreach (var layer in pull.Manifest.Layers.Where(l => !LayerContent.IsRaw(l)))
            {
                pulling.Add(Path.GetFullPath(_layout.PartialLayer(LayerContent.LayerKey(layer))));
            }
        }

        // Young orphans are likely the finished layers (or partial downloads) of a pull that died and may be
        // retried; they wait out the grace period, unless a pull needs the room now.
        var graceCutoff = needed > 0 ? DateTime.MaxValue : store.Time.GetUtcNow().UtcDateTime - store.Options.OrphanGracePeriod;
        var orphans = usage.Keys
            .Where(k => !references.ContainsKey(k) && !pulling.Contains(k) && IsCollectable(k, partialsToo: needed > 0) && LastChangeUtc(k) <= graceCutoff)
            .ToList();
        var projected = before - orphans.Sum(k => usage[k]);

        var candidates = models
            .Where(m => !store.Leases.IsHeld(m.Record.Key))
            .OrderBy(m => m.Record.LastUsedAt)
            .ThenBy(m => m.Record.Key, StringComparer.Ordinal)
            .ToList();

        var evicted = new List<StoredModel>();
        var freedByEviction = new List<string>();
        var projectedAfterEviction = projected;
        foreach (var candidate in candidates)
        {
            if (AvailableAfter(before, projectedAfterEviction) >= needed)
            {
                break;
            }

            evicted.Add(candidate);
            foreach (var item in candidate.Content)
            {
                if (references.TryGetValue(item, out var count) && (references[item] = count - 1) == 0)
                {
                    freedByEviction.Add(item);
                    projectedAfterEviction -= usage.GetValueOrDefault(item);
                }
            }
        }

        // Evicting models that cannot make room for a pull anyway would only lose them. A collection with
        // nothing to make room for still gets as close to the limits as the unused models allow.
        if (needed > 0 && AvailableAfter(before, projectedAfterEviction) < needed)
        {
            evicted.Clear();
            freedByEviction.Clear();
            projectedAfterEviction = projected;
        }
        else
        {
            orphans.AddRange(freedByEviction);
        }

        var available = AvailableAfter(before, projectedAfterEviction);
        var freed = before - projectedAfterEviction;
        var records = evicted.Select(m => m.Record).ToList();
        if (dryRun)
        {
            return new EvictionResult(records, freed, before, projectedAfterEviction, available);
        }

        Remove(evicted, orphans, usage, trash);
        store.Metrics.Evictions.Inc(evicted.Count);
        store.Metrics.EvictedBytes.Inc(freed);
        return new EvictionResult(records, freed, before, projectedAfterEviction, available);
    }

    /// <summary>
    /// Crash-safe order: the model disappears at once (rename), then its record, then its content (renamed into
    /// tmp/ too; the caller deletes the trash after leaving the gate).
    /// </summary>
    private void Remove(List<StoredModel> evicted, List<string> orphans, Dictionary<string, long> usage, List<string> trash)
    {
        // A crash in between leaves drift that the start-up reconciliation repairs.
        foreach (var model in evicted)
        {
            var key = model.Record.Key;
            var hidden = Path.Combine(_layout.Temp, $"evict-{CacheKeys.FileName(key)[..12]}-{Guid.NewGuid():N}");
            Directory.Move(_layout.Model(key), hidden);
            trash.Add(hidden);
            store.Records.Delete(key);
            // Models evicted soon after they were pulled mean the cache thrashes: too small for what is in use.
            store.Metrics.EvictedModelAge.Observe(Math.Max(0, (store.Time.GetUtcNow() - model.Record.PulledAt).TotalSeconds));
            Log.Evicted(store.Logger, string.Join(", ", model.Record.References), key, model.Record.LastUsedAt, model.Record.Size);
        }

        foreach (var item in orphans)
        {
            // Unlinking a large blob frees its extents, which takes time; a rename does not.
            var hidden = Path.Combine(_layout.Temp, (Directory.Exists(item) ? "layer-gc-" : "blob-gc-") + Guid.NewGuid().ToString("N"));
            try
            {
                if (Directory.Exists(item))
                {
                    Directory.Move(item, hidden);
                }
                else
                {
                    File.Move(item, hidden);
                }

                trash.Add(hidden);
            }
            catch (FileNotFoundException)
            {
                // Already gone (a file deleted behind the driver's back): nothing to free, only to stop tracking.
            }
            catch (DirectoryNotFoundException)
            {
            }

            store.Usage.Remove(item);
            Log.RemovedUnreferenced(store.Logger, item, usage.GetValueOrDefault(item));
        }
    }

    /// <summary>
    /// When the entry was last changed (ctime): set by the download's final rename and by linking, and
    /// unlike mtime not overwritten with the archive's timestamps (raw blobs share their inode with model files).
    /// </summary>
    private static DateTime LastChangeUtc(string path) =>
        Syscall.lstat(path, out var stat) == 0 ? DateTime.UnixEpoch.AddSeconds(stat.st_ctime) : DateTime.MinValue;

    /// <summary>
    /// Files being written under a temp name are someone's work in progress. Partial downloads are kept for
    /// resuming, except when a pull needs the room: an abandoned download must not wedge the cache.
    /// </summary>
    private static bool IsCollectable(string path, bool partialsToo) =>
        !path.Contains(".tmp", StringComparison.Ordinal)
        && (partialsToo || !path.EndsWith(".partial", StringComparison.Ordinal));

    /// <summary>Bytes a pull may add once the cache holds <paramref name="cacheBytesAfter"/> instead of <paramref name="cacheBytesNow"/>.</summary>
    private long AvailableAfter(long cacheBytesNow, long cacheBytesAfter)
    {
        // Bytes promised to pulls in progress are spoken for, whatever of them is written yet.
        var reserved = store.ReservedBytes;
        var byLimit = store.Options.MaxSize.IsZero ? long.MaxValue : store.Options.MaxSize.Bytes - cacheBytesAfter - reserved;
        var byDisk = _fileSystem.Value is { } fs ? fs.Free + (cacheBytesNow - cacheBytesAfter) - fs.Reserve - reserved : long.MaxValue;
        return Math.Min(byLimit, byDisk);
    }

    private List<StoredModel> ReadModels()
    {
        var models = new List<StoredModel>();
        foreach (var record in store.Records.List())
        {
            var manifest = store.Records.TryReadManifest(record.ManifestDigest);
            var content = manifest is not null
                ? LayerContent.Of(_layout, record.ManifestDigest, LayerContent.LimitTo(manifest, record.Selection)).ToHashSet(StringComparer.Ordinal)
                // Without its manifest the tar layers are unknown; their directories may be collected, which the
                // model's hard links survive. The raw blobs are still protected.
                : record.Layers.Select(_layout.Blob).Append(_layout.Blob(record.ManifestDigest)).ToHashSet(StringComparer.Ordinal);
            models.Add(new StoredModel(record, content));
        }

        return models;
    }

    private sealed record StoredModel(CachedModelRecord Record, HashSet<string> Content);
}
