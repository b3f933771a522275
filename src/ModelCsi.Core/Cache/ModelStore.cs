using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The node's content-addressed model store: owns the on-disk layout, the model records, the leases that keep
/// models in use, eviction and the start-up reconciliation. It never talks to a registry; the pull pipeline
/// fills it.
/// </summary>
public sealed class ModelStore
{
    // Pulls in progress, with the manifest (limited to the selected layers) they are fetching: their blobs and
    // layers are not yet referenced by any model but must survive a collection.
    private readonly Dictionary<ModelLease, (string ManifestDigest, OciManifest Manifest)> _activePulls = [];

    // What pulls in progress were promised they may still write: a pull asking for room sees the others' promises,
    // so concurrent pulls cannot each be told the same free bytes. Room checks run one at a time.
    private readonly Dictionary<ModelLease, long> _reservations = [];
    private readonly Lock _roomCheck = new();

    /// <param name="fileSync">The durability calls (tests record them); the real ones by default.</param>
    public ModelStore(IOptions<ModelCacheOptions> options, TimeProvider time, ILogger logger, CacheMetrics? metrics = null, IFileSync? fileSync = null)
    {
        Options = options.Value;
        FileSync = fileSync ?? LibcFileSync.Instance;
        Time = time;
        Logger = logger;
        Metrics = metrics ?? CacheMetrics.Unexported();
        Layout = new CacheLayout(Options.RootDirectory);
        Records = new ModelRecords(Layout, time);
        Usage = new CacheUsage(total => Metrics.CacheBytes.Set(total));
        Layout.CreateDirectories();
        if (Options.ReconcileAtStart)
        {
            Reconcile();
        }
        else
        {
            Records.Load();
            Usage.Reset(CacheWalk.Measure(Layout));
        }

        UpdateGauges();
    }

    public CacheLayout Layout { get; }

    /// <summary>Who holds which model; eviction considers only models with no lease.</summary>
    public LeaseTable Leases { get; } = new();

    internal ModelCacheOptions Options { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal CacheMetrics Metrics { get; }

    internal ModelRecords Records { get; }

    /// <summary>The bytes of each piece of content, tracked so that nothing has to walk the cache to know its size.</summary>
    internal CacheUsage Usage { get; }

    /// <summary>How content is made durable before it is marked complete.</summary>
    internal IFileSync FileSync { get; }

    /// <summary>Layer downloads running now, for a caller that deletes the store once its pipeline stopped.</summary>
    internal InFlightWork Downloads { get; } = new();

    // Held while a model is looked up and leased, and while eviction picks and hides (renames) what it collects: a
    // hit that is about to be mounted and an eviction of the same model exclude each other. Cache hits take it, so
    // nothing slow happens under it: no walk of the cache, no file read, no sync, no deletion of content, no network.
    internal Lock Gate { get; } = new();

    /// <summary>
    /// Finds a complete model and, in the same step as far as eviction can tell, leases it to
    /// <paramref name="holder"/> (when given), so nothing evicts it between the lookup and its use.
    /// </summary>
    public bool TryAcquire(string reference, string cacheKey, LeaseHolder? holder, out ModelHandle handle)
    {
        var path = Layout.Model(cacheKey);
        ModelLease? lease;
        lock (Gate)
        {
            if (!Directory.Exists(path))
            {
                handle = null!;
                return false;
            }

            lease = holder is { } h ? Leases.Acquire(cacheKey, h) : null;
        }

        // The record's rewrite needs no gate: an eviction in between deletes the record, and a touch of a deleted
        // record writes nothing (both run under the records' own lock).
        Records.Touch(cacheKey, reference);
        handle = new ModelHandle(reference, CacheKeys.ManifestDigestOf(cacheKey), path) { CacheKey = cacheKey, Lease = lease };
        return true;
    }

    /// <summary>
    /// Leases a model whether or not it is on disk now: how holders recorded before a restart (published volumes,
    /// dynamic mounts, pins) take their leases back before anything can evict.
    /// </summary>
    public ModelLease Acquire(string cacheKey, LeaseHolder holder) => Leases.Acquire(cacheKey, holder);

    /// <summary>The record of every complete model in the cache.</summary>
    public IReadOnlyList<CachedModelRecord> ListModels() => Records.List();

    /// <summary>Bytes the cache holds now (verified blobs, partial downloads, unpacked layers), measured by walking it.</summary>
    public long MeasureCacheBytes() => CacheWalk.Measure(Layout).Values.Sum();

    /// <summary>Bytes the cache holds now as tracked (no walk): what room checks and the cache size metric use.</summary>
    public long TrackedCacheBytes => Usage.Total;

    /// <summary>
    /// Walks the cache, without holding any lock a cache hit takes, and corrects the tracked sizes by it (content
    /// changed while the walk ran keeps its tracked size). Returns the bytes by which the tracked total was off.
    /// </summary>
    public long RemeasureUsage()
    {
        long drift;
        var started = Usage.BeginWalk();
        try
        {
            drift = Usage.Correct(CacheWalk.Measure(Layout), started);
        }
        finally
        {
            Usage.EndWalk();
        }

        if (drift != 0)
        {
            Log.UsageCorrected(Logger, Layout.Root, drift);
        }

        return drift;
    }

    /// <summary>
    /// Brings the cache within its limits with room for <paramref name="neededBytes"/> more: deletes content no
    /// model references, then evicts models nobody leases, least recently used first. When room is asked for and
    /// evicting every candidate would still not make it, evicts nothing.
    /// </summary>
    public EvictionResult CollectGarbage(long neededBytes = 0, bool dryRun = false)
    {
        var trash = new List<string>();
        EvictionResult result;
        lock (Gate)
        {
            result = new CacheCollector(this).Collect(neededBytes, dryRun, trash);
        }

        // The trees and files were renamed into tmp/ under the lock; deleting them can take a while and needs no lock.
        foreach (var path in trash)
        {
            if (Directory.Exists(path))
            {
                DeleteTree(path);
            }
            else
            {
                DeleteFile(path);
            }
        }

        if (!dryRun)
        {
            UpdateGauges();
        }

        return result;
    }

    /// <summary>Makes records and disk agree after a crash; see <see cref="CacheReconciler"/>. Returns how many fixes were made.</summary>
    public int Reconcile() => new CacheReconciler(this).Run();

    /// <summary>Registers a pull in progress: its content is protected until the returned lease is disposed.</summary>
    internal ModelLease BeginPull(string cacheKey, string manifestDigest, OciManifest manifest)
    {
        var lease = Leases.Acquire(cacheKey, new LeaseHolder(LeaseKind.Pull, cacheKey));
        lock (Gate)
        {
            _activePulls[lease] = (manifestDigest, manifest);
        }

        return lease;
    }

    internal void EndPull(ModelLease lease)
    {
        OciManifest? manifest = null;
        lock (Gate)
        {
            if (_activePulls.Remove(lease, out var pull))
            {
                manifest = pull.Manifest;
            }

            _reservations.Remove(lease);
        }

        lease.Dispose();
        // A failed or cut download leaves its partial file at whatever length it reached.
        if (manifest is not null)
        {
            RefreshPartials(manifest.Layers.Append(manifest.Config).Select(b => Layout.PartialBlob(b.Digest)));
        }
    }

    /// <summary>Records a blob or layer that just became complete; <paramref name="replaces"/> is the partial file it was renamed from.</summary>
    internal void ContentAdded(string path, long bytes, string? replaces = null)
    {
        Usage.Set(path, bytes);
        if (replaces is not null)
        {
            Usage.Remove(replaces);
        }
    }

    /// <summary>Records that content was deleted (a partial tar layer given up on).</summary>
    internal void ContentDiscarded(string path) => Usage.Remove(path);

    /// <summary>
    /// Brings the tracked length of partial downloads up to date: those tracked now and <paramref name="more"/> (a
    /// pull's). One stat each, no walk; partial files grow while downloads run, between these readings.
    /// </summary>
    internal void RefreshPartials(IEnumerable<string>? more = null) =>
        Usage.RefreshFiles(Usage.Partials().Union(more ?? [], StringComparer.Ordinal).ToList());

    /// <summary>The partial files of every pull in progress now.</summary>
    private List<string> ActivePartials()
    {
        lock (Gate)
        {
            return _activePulls.Values.SelectMany(p => p.Manifest.Layers.Append(p.Manifest.Config)).Select(b => Layout.PartialBlob(b.Digest)).ToList();
        }
    }

    /// <summary>Bytes promised to pulls in progress (call under <see cref="Gate"/>).</summary>
    internal long ReservedBytes => _reservations.Values.Sum();

    /// <summary>Pulls in progress (call under <see cref="Gate"/>).</summary>
    internal IEnumerable<(string CacheKey, string ManifestDigest, OciManifest Manifest)> ActivePulls =>
        _activePulls.Select(p => (p.Key.CacheKey, p.Value.ManifestDigest, p.Value.Manifest));

    /// <summary>Bytes the pull of <paramref name="manifest"/> still has to write: what is neither cached nor saved in a partial file.</summary>
    internal long BytesToWrite(OciManifest manifest)
    {
        // Only raw layers resume from a partial file; a tar layer is unpacked from byte 0 (see LayerFetcher).
        var needed = manifest.Layers
            .Where(l => !LayerContent.IsCached(Layout, l))
            .Sum(l => Math.Max(0, l.Size - (LayerContent.IsRaw(l) ? PartialLength(l.Digest) : 0)));
        if (!File.Exists(Layout.Blob(manifest.Config.Digest)))
        {
            needed += manifest.Config.Size;
        }

        return needed;
    }

    /// <summary>Makes room for a pull by evicting unused models, or fails with the bytes needed and available.</summary>
    /// <returns>The bytes the pull may write: what tar layers may expand to is bounded by it, not by their compressed size.</returns>
    internal long EnsureRoomFor(string reference, string cacheKey, OciManifest manifest, ModelLease pull)
    {
        lock (_roomCheck)
        {
            var available = CheckRoom(reference, cacheKey, manifest, out var needed);
            lock (Gate)
            {
                _reservations[pull] = Math.Max(0, needed);
            }

            return available;
        }
    }

    private long CheckRoom(string reference, string cacheKey, OciManifest manifest, out long needed)
    {
        needed = BytesToWrite(manifest);
        if (needed <= 0)
        {
            return long.MaxValue;
        }

        // The collection below works from the tracked sizes and statvfs, under the gate; what it cannot know
        // without a look, how far downloads in progress have got, is read here first.
        RefreshPartials(ActivePartials());

        var result = CollectGarbage(needed);
        if (result.AvailableBytes < needed)
        {
            var fs = FileSystemSpace();
            var limit = Options.MaxSize.IsZero ? "no size limit" : $"size limit {Options.MaxSize} with {Format(result.CacheBytesAfter)} used";
            var disk = fs is { } f ? $"{Format(f.Free)} free on {Layout.Root} of which {Format(f.Reserve)} is kept free" : "free space unknown";
            throw new ModelPullException(
                FailureKind.InsufficientStorage,
                reference,
                $"not enough room in the model cache for {reference} ({cacheKey}): needs {Format(needed)} ({needed} bytes), "
                + $"{Format(Math.Max(0, result.AvailableBytes))} ({Math.Max(0, result.AvailableBytes)} bytes) available even after evicting every unused model "
                + $"({limit}; {disk})")
            { Step = "check disk space" };
        }

        return result.AvailableBytes;
    }

    internal long PartialLength(string digest)
    {
        var partial = new FileInfo(Layout.PartialBlob(digest));
        return partial.Exists ? partial.Length : 0;
    }

    /// <summary>Stores a small blob (a manifest) by digest, atomically and durably: the model record written next names it.</summary>
    internal void SaveBlob(string digest, byte[] content)
    {
        var path = Layout.Blob(digest);
        if (!File.Exists(path))
        {
            var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write))
            {
                RandomAccess.Write(file, content, 0);
                FileSync.DataSync(file);
            }

            File.Move(temp, path, overwrite: true);
            FileSync.SyncDirectory(Layout.Blobs);
            Usage.Set(path, content.Length);
        }
    }

    internal (long Free, long Total, long Reserve)? FileSystemSpace()
    {
        if (Syscall.statvfs(Layout.Root, out var fs) != 0)
        {
            return null;
        }

        var free = (long)(fs.f_bavail * fs.f_frsize);
        var total = (long)(fs.f_blocks * fs.f_frsize);
        var reserve = Math.Max(Options.ReservedFreeBytes, (long)(total * Math.Clamp(Options.MinFreePercent, 0, 100) / 100));
        return (free, total, reserve);
    }

    internal void UpdateGauges()
    {
        Metrics.CacheBytes.Set(Usage.Total);
        Metrics.CacheModels.Set(ListModels().Count);
    }

    internal void DeleteTree(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // It is under tmp/ already, invisible; the next start empties tmp/.
            Log.DeleteFailed(Logger, path, e.Message);
        }
    }

    private void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.DeleteFailed(Logger, path, e.Message);
        }
    }

    internal static string Format(long bytes) =>
        bytes >= 1 << 20
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.0} MiB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
}
