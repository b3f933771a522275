using System.Globalization;
using System.Text.Json;
using ModelCsi.Core.Oci;
using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>Eviction: least recently used unused models go first, and blobs or layers nothing references go with them.</summary>
public sealed partial class ModelCache
{
    /// <summary>
    /// Brings the cache within its limits with room for <paramref name="neededBytes"/> more: deletes content no
    /// model references, then evicts unused models, least recently used first. Models in use, being pulled or
    /// needed by a pull in progress are never touched. When room is asked for and evicting every candidate
    /// would still not make it, evicts nothing.
    /// </summary>
    public EvictionResult CollectGarbage(long neededBytes = 0, bool dryRun = false)
    {
        var trash = new List<string>();
        EvictionResult result;
        lock (_gate)
        {
            result = CollectLocked(neededBytes, dryRun, trash);
        }

        // The trees were renamed into tmp/ under the lock; deleting them can take a while and needs no lock.
        foreach (var path in trash)
        {
            DeleteTree(path);
        }

        if (!dryRun)
        {
            UpdateGauges();
        }

        return result;
    }

    /// <summary>Bytes the cache holds now (verified blobs, partial downloads, unpacked layers).</summary>
    public long MeasureCacheBytes() => MeasureContent().Values.Sum();

    private void EnsureRoomFor(string reference, string key, OciManifest manifest)
    {
        var needed = manifest.Layers
            .Where(l => !IsLayerCached(l))
            .Sum(l => Math.Max(0, l.Size - PartialLength(l.Digest)));
        if (!File.Exists(_layout.Blob(manifest.Config.Digest)))
        {
            needed += manifest.Config.Size;
        }

        if (needed <= 0)
        {
            return;
        }

        var result = CollectGarbage(needed);
        if (result.AvailableBytes < needed)
        {
            var fs = FileSystemSpace();
            var limit = _options.MaxSize.IsZero ? "no size limit" : $"size limit {_options.MaxSize} with {Format(result.CacheBytesAfter)} used";
            var disk = fs is { } f ? $"{Format(f.Free)} free on {_layout.Root} of which {Format(f.Reserve)} is kept free" : "free space unknown";
            throw new ModelPullException(
                ModelFetchFailureKind.InsufficientStorage,
                reference,
                $"not enough room in the model cache for '{reference}' ({key}): needs {Format(needed)} ({needed} bytes), "
                + $"{Format(Math.Max(0, result.AvailableBytes))} ({Math.Max(0, result.AvailableBytes)} bytes) available even after evicting every unused model "
                + $"({limit}; {disk})")
            { Step = "check disk space" };
        }
    }

    private static string Format(long bytes) =>
        bytes >= 1 << 20
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.0} MiB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");

    private EvictionResult CollectLocked(long needed, bool dryRun, List<string> trash)
    {
        var usage = MeasureContent();
        var before = usage.Values.Sum();
        var models = ReadModels();

        // How many models (or pulls in progress) reference each piece of content; pulls in progress count as many.
        var references = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            foreach (var item in model.Content)
            {
                references[item] = references.GetValueOrDefault(item) + 1;
            }
        }

        foreach (var (_, active) in _activePulls)
        {
            foreach (var item in ContentOf(active.ManifestDigest, active.Manifest))
            {
                references[item] = references.GetValueOrDefault(item) + 1_000_000;
            }
        }

        // Young orphans are likely the finished layers of a pull that died; they go only when a pull needs room.
        var graceCutoff = needed > 0 ? DateTime.MinValue : _time.GetUtcNow().UtcDateTime - _options.OrphanGracePeriod;
        var orphans = usage.Keys.Where(k => !references.ContainsKey(k) && IsCollectable(k) && LastChangeUtc(k) <= graceCutoff).ToList();
        var projected = before - orphans.Sum(k => usage[k]);

        var candidates = models
            .Where(m => UserCount(m.Record.Key) == 0
                && !_activePulls.ContainsKey(m.Record.Key)
                && !_modelPulls.IsRunning(m.Record.Key))
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

        // Crash-safe order: the model disappears at once (rename), then its record, then its content.
        // A crash in between leaves drift that the start-up reconciliation repairs.
        foreach (var model in evicted)
        {
            var key = model.Record.Key;
            var hidden = Path.Combine(_layout.Temp, $"evict-{ModelCacheKey.FileName(key)[..12]}-{Guid.NewGuid():N}");
            Directory.Move(_layout.Model(key), hidden);
            trash.Add(hidden);
            lock (_recordLock)
            {
                File.Delete(_layout.ModelRecord(key));
            }

            Log.Evicted(_logger, string.Join(", ", model.Record.References), key, model.Record.LastUsedAt, model.Record.Size);
        }

        foreach (var item in orphans)
        {
            if (Directory.Exists(item))
            {
                var hidden = Path.Combine(_layout.Temp, "layer-gc-" + Guid.NewGuid().ToString("N"));
                Directory.Move(item, hidden);
                trash.Add(hidden);
            }
            else
            {
                File.Delete(item);
            }

            Log.RemovedUnreferenced(_logger, item, usage.GetValueOrDefault(item));
        }

        _metrics.Evictions.Inc(evicted.Count);
        _metrics.EvictedBytes.Inc(freed);
        return new EvictionResult(records, freed, before, projectedAfterEviction, available);
    }

    /// <summary>Partial downloads are kept for resuming; files being written under a temp name are someone's work in progress.</summary>
    /// <summary>
    /// When the entry was last changed (ctime): set by the download's final rename and by linking, and
    /// unlike mtime not overwritten with the archive's timestamps (raw blobs share their inode with model files).
    /// </summary>
    private static DateTime LastChangeUtc(string path) =>
        Syscall.lstat(path, out var stat) == 0 ? DateTime.UnixEpoch.AddSeconds(stat.st_ctime) : DateTime.MinValue;

    private static bool IsCollectable(string path) =>
        !path.EndsWith(".partial", StringComparison.Ordinal) && !path.Contains(".tmp", StringComparison.Ordinal);

    /// <summary>Bytes a pull may add once the cache holds <paramref name="cacheBytesAfter"/> instead of <paramref name="cacheBytesNow"/>.</summary>
    private long AvailableAfter(long cacheBytesNow, long cacheBytesAfter)
    {
        var byLimit = _options.MaxSize.IsZero ? long.MaxValue : _options.MaxSize.Bytes - cacheBytesAfter;
        var byDisk = FileSystemSpace() is { } fs ? fs.Free + (cacheBytesNow - cacheBytesAfter) - fs.Reserve : long.MaxValue;
        return Math.Min(byLimit, byDisk);
    }

    private (long Free, long Total, long Reserve)? FileSystemSpace()
    {
        if (Syscall.statvfs(_layout.Root, out var fs) != 0)
        {
            return null;
        }

        var free = (long)(fs.f_bavail * fs.f_frsize);
        var total = (long)(fs.f_blocks * fs.f_frsize);
        var reserve = Math.Max(_options.ReservedFreeBytes, (long)(total * Math.Clamp(_options.MinFreePercent, 0, 100) / 100));
        return (free, total, reserve);
    }

    /// <summary>Every blob file (partial or not) and every unpacked layer directory, with its size on disk.</summary>
    private Dictionary<string, long> MeasureContent()
    {
        var usage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(_layout.Blobs).EnumerateFiles())
        {
            usage[file.FullName] = file.Length;
        }

        foreach (var dir in Directory.EnumerateDirectories(_layout.Layers))
        {
            usage[Path.GetFullPath(dir)] = TreeUsage.Measure(dir).Bytes;
        }

        return usage;
    }

    /// <summary>The blob files and layer directories a model's directory is linked from.</summary>
    private IEnumerable<string> ContentOf(string manifestDigest, OciManifest manifest)
    {
        yield return _layout.Blob(manifestDigest);
        yield return _layout.Blob(manifest.Config.Digest);
        foreach (var layer in manifest.Layers)
        {
            yield return IsRaw(layer) ? _layout.Blob(layer.Digest) : _layout.Layer(LayerKey(layer));
        }
    }

    private List<StoredModel> ReadModels()
    {
        var models = new List<StoredModel>();
        foreach (var record in ListModels())
        {
            var manifest = TryReadManifest(record.ManifestDigest);
            var content = manifest is not null
                ? ContentOf(record.ManifestDigest, LimitTo(manifest, record.Selection)).ToHashSet(StringComparer.Ordinal)
                // Without its manifest the tar layers are unknown; their directories may be collected, which the
                // model's hard links survive. The raw blobs are still protected.
                : record.Layers.Select(_layout.Blob).Append(_layout.Blob(record.ManifestDigest)).ToHashSet(StringComparer.Ordinal);
            models.Add(new StoredModel(record, content));
        }

        return models;
    }

    /// <summary>The manifest with only the layers a selection keeps, so a subset protects only what its directory links.</summary>
    private static OciManifest LimitTo(OciManifest manifest, ModelPack.LayerSelection? selection) =>
        selection is null ? manifest : manifest with { Layers = manifest.Layers.Where(selection.Selects).ToList() };

    private OciManifest? TryReadManifest(string manifestDigest)
    {
        try
        {
            return JsonSerializer.Deserialize<OciManifest>(File.ReadAllBytes(_layout.Blob(manifestDigest)));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private void UpdateGauges()
    {
        try
        {
            _metrics.CacheBytes.Set(MeasureCacheBytes());
            _metrics.CacheModels.Set(ListModels().Count);
        }
        catch (IOException)
        {
            // A file vanishing mid-walk only makes this reading stale; the next update corrects it.
        }
    }

    private void DeleteTree(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // It is under tmp/ already, invisible; the next start empties tmp/.
            Log.DeleteFailed(_logger, path, e.Message);
        }
    }

    private sealed record StoredModel(CachedModelRecord Record, HashSet<string> Content);
}
