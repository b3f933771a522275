using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The node's content-addressed model cache: resolves a reference to a manifest digest, pulls each
/// model once no matter how many volumes ask, and hands out a complete, verified directory.
/// </summary>
public sealed partial class ModelCache : IModelStore, IDisposable
{
    // Large reads keep per-call overhead (hashing, the partial file's writes, the stall timer) off the hot path.
    private const int CopyBufferSize = 1 << 20;

    private static readonly JsonSerializerOptions RecordJson = new() { WriteIndented = true };

    private readonly CacheLayout _layout;
    private readonly ModelCacheOptions _options;
    private readonly RegistryClient _registry;
    private readonly LayerUnpacker _unpacker;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelCache> _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private int _disposed;
    private readonly SingleFlight<string, ModelHandle> _modelPulls;
    private readonly SingleFlight<string, bool> _layerPulls;
    private readonly Lock _recordLock = new();
    private readonly CredentialResolver _credentials;
    private readonly ConcurrentDictionary<string, PullObserverGroup> _pullObservers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _users = new(StringComparer.Ordinal);
    private readonly CacheMetrics _metrics;

    // Held while a model is looked up and claimed, and while eviction picks, hides and collects: a hit that
    // is about to be mounted and an eviction of the same model exclude each other.
    private readonly Lock _gate = new();

    // Manifests (limited to the selected layers) of pulls in progress, by cache key: their blobs and layers are not
    // yet referenced by any model but must survive a collection.
    private readonly Dictionary<string, (string ManifestDigest, OciManifest Manifest)> _activePulls = new(StringComparer.Ordinal);

    public ModelCache(
        IOptions<ModelCacheOptions> options,
        RegistryClient registry,
        LayerUnpacker unpacker,
        TimeProvider time,
        ILogger<ModelCache> logger,
        CacheMetrics? metrics = null,
        CredentialResolver? credentials = null)
    {
        _credentials = credentials ?? new CredentialResolver([new SecretsCredentialSource()], NullLogger<CredentialResolver>.Instance);
        _options = options.Value;
        _metrics = metrics ?? CacheMetrics.Unexported();
        _layout = new CacheLayout(_options.RootDirectory);
        _registry = registry;
        _unpacker = unpacker;
        _time = time;
        _logger = logger;
        _modelPulls = new SingleFlight<string, ModelHandle>(_lifetime.Token);
        _layerPulls = new SingleFlight<string, bool>(_lifetime.Token);
        _layout.CreateDirectories();
        if (_options.ReconcileAtStart)
        {
            Reconcile();
        }

        UpdateGauges();
    }

    public CacheLayout Layout => _layout;

    public async Task<ModelHandle> EnsureModelAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        var reference = ParseReference(request.Reference);
        var display = reference.ToString();
        var selection = request.Selection;

        // A digest reference needs no registry round trip (nor a credential lookup) when the model is already here.
        if (reference.Digest is { } pinned && TryClaim(display, ModelCacheKey.For(pinned, selection), request.VolumeId, out var cachedByDigest))
        {
            _metrics.CacheHits.Inc();
            request.Observer?.Completed(TimeSpan.Zero, 0, fromCache: true);
            return cachedByDigest;
        }

        ResolvedModel model;
        RepositoryClient repository;
        try
        {
            var credential = await _credentials.ResolveAsync(
                reference.Registry, request.Credentials ?? CredentialContext.FromVolume(request.Secrets, null), cancellationToken);
            repository = _registry.Repository(reference, credential);
            model = await FetchStepAsync(reference, "resolve manifest", () => ModelResolver.ResolveAsync(repository, cancellationToken));
        }
        catch (ModelPullException e)
        {
            request.Observer?.Failed(e.Message);
            throw;
        }

        var key = ModelCacheKey.For(model.ManifestDigest, selection);
        if (TryClaim(display, key, request.VolumeId, out var cached))
        {
            _metrics.CacheHits.Inc();
            request.Observer?.Completed(TimeSpan.Zero, 0, fromCache: true);
            return cached;
        }

        OciManifest selected;
        try
        {
            selected = SelectLayers(display, model, selection);
        }
        catch (ModelPullException e)
        {
            request.Observer?.Failed(e.Message);
            throw;
        }

        _metrics.CacheMisses.Inc();
        // A collection may evict a just-pulled model before it is claimed (it is unused until then); pulling again is rare and correct.
        for (var attempt = 1; ; attempt++)
        {
            // Everyone waiting on the same pull hears how it goes, late joiners included.
            var observers = _pullObservers.GetOrAdd(key, _ => new PullObserverGroup());
            if (request.Observer is { } observer)
            {
                observers.Attach(observer);
            }

            var pulled = await _modelPulls.RunAsync(
                key,
                lifetime => PullAsync(repository, model, selected, selection, observers, lifetime),
                cancellationToken);
            if (TryClaim(display, pulled.CacheKey, request.VolumeId, out var claimed, logHit: false))
            {
                return claimed;
            }

            if (attempt == 2)
            {
                throw new ModelPullException(ModelFetchFailureKind.InsufficientStorage, display, $"'{display}' was evicted right after it was pulled, twice; the cache is too small for the models in use")
                { Step = "claim model" };
            }
        }
    }

    public void MarkInUse(string cacheKey, string volumeId)
    {
        lock (_users)
        {
            if (!_users.TryGetValue(cacheKey, out var volumes))
            {
                _users[cacheKey] = volumes = new HashSet<string>(StringComparer.Ordinal);
            }

            volumes.Add(volumeId);
        }
    }

    public void MarkUnused(string cacheKey, string volumeId)
    {
        lock (_users)
        {
            if (_users.TryGetValue(cacheKey, out var volumes) && volumes.Remove(volumeId) && volumes.Count == 0)
            {
                _users.Remove(cacheKey);
            }
        }
    }

    /// <summary>How many published volumes use the model (by <see cref="ModelCacheKey"/>) now.</summary>
    public int UserCount(string cacheKey)
    {
        lock (_users)
        {
            return _users.TryGetValue(cacheKey, out var volumes) ? volumes.Count : 0;
        }
    }

    /// <summary>Looks a model up (by <see cref="ModelCacheKey"/>) without touching the network.</summary>
    public bool TryGetCached(string reference, string cacheKey, out ModelHandle handle) =>
        TryClaim(reference, cacheKey, volumeId: null, out handle);

    /// <summary>
    /// Finds a complete model and, in the same step as far as eviction can tell, marks it used by the
    /// volume, so nothing evicts it between the lookup and the mount.
    /// </summary>
    private bool TryClaim(string reference, string key, string? volumeId, out ModelHandle handle, bool logHit = true)
    {
        var path = _layout.Model(key);
        lock (_gate)
        {
            if (Directory.Exists(path))
            {
                if (logHit)
                {
                    Log.CacheHit(_logger, reference, key);
                }

                if (volumeId is not null)
                {
                    MarkInUse(key, volumeId);
                }

                TouchRecord(key, reference);
                handle = new ModelHandle(reference, ModelCacheKey.ManifestDigestOf(key), path) { CacheKey = key };
                return true;
            }
        }

        handle = null!;
        return false;
    }

    /// <summary>The record of every complete model in the cache.</summary>
    public IReadOnlyList<CachedModelRecord> ListModels()
    {
        var records = new List<CachedModelRecord>();
        foreach (var file in Directory.EnumerateFiles(_layout.Index, "*.json"))
        {
            if (TryReadRecord(file) is { } record && Directory.Exists(_layout.Model(record.Key)))
            {
                records.Add(record);
            }
        }

        return records;
    }

    private static OciReference ParseReference(string reference)
    {
        try
        {
            return OciReference.Parse(reference);
        }
        catch (ReferenceFormatException e)
        {
            throw new ModelPullException(ModelFetchFailureKind.InvalidReference, reference, $"model reference '{reference}' is invalid: {e.Message}", e) { Step = "parse reference" };
        }
    }

    /// <summary>
    /// The manifest limited to the layers the selection keeps (the manifest itself without a selection).
    /// A selection that keeps nothing is the volume's mistake, reported with a few of the model's paths.
    /// </summary>
    private static OciManifest SelectLayers(string reference, ResolvedModel model, LayerSelection? selection)
    {
        if (selection is null)
        {
            return model.Manifest;
        }

        var layers = model.Manifest.Layers.Where(selection.Selects).ToList();
        if (layers.Count > 0)
        {
            return model.Manifest with { Layers = layers };
        }

        const int shown = 8;
        var all = model.Manifest.Layers;
        var paths = all.Take(shown).Select(l =>
            (LayerSelection.FilePath(l) ?? $"(no path, {l.Digest})") + (LayerMediaType.TryParse(l.MediaType, out var type) ? $" [{type.Kind}]" : ""));
        var more = all.Count > shown ? $" and {all.Count - shown} more" : "";
        throw new ModelPullException(
            ModelFetchFailureKind.InvalidSelection,
            reference,
            $"the layer selection ({selection}) matches nothing in '{reference}' ({model.ManifestDigest}); its {all.Count} layers are: {string.Join(", ", paths)}{more}")
        { Step = "select layers" };
    }

    private async Task<ModelHandle> PullAsync(
        RepositoryClient repository, ResolvedModel model, OciManifest manifest, LayerSelection? selection, PullObserverGroup observers, CancellationToken lifetime)
    {
        var reference = model.Reference;
        var digest = model.ManifestDigest;
        var key = ModelCacheKey.For(digest, selection);
        var display = reference.ToString();

        var started = Stopwatch.GetTimestamp();
        var totals = new PullTotals(observers);
        _metrics.PullsStarted.Inc();
        lock (_gate)
        {
            _activePulls[key] = (digest, manifest);
        }

        try
        {
            var total = manifest.Layers.Sum(l => l.Size);
            Log.PullStarted(_logger, display, key, manifest.Layers.Count, total);
            observers.Started(display, digest, total);
            EnsureRoomFor(display, key, manifest);

            await FetchStepAsync(reference, "download layers", () => Parallel.ForEachAsync(
                manifest.Layers,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelLayers), CancellationToken = lifetime },
                async (layer, token) => await EnsureLayerAsync(repository, layer, totals, token)));

            await FetchStepAsync(reference, "download config", () => EnsureRawBlobAsync(repository, manifest.Config, totals, lifetime));
            SaveBlob(digest, model.ManifestBytes);

            // The record goes first: a model directory is never visible without one, so reconciliation never has to guess.
            WriteRecord(new CachedModelRecord
            {
                ManifestDigest = digest,
                Selection = selection,
                References = [display],
                Size = total,
                Layers = manifest.Layers.Select(l => l.Digest).ToList(),
                PulledAt = _time.GetUtcNow(),
                LastUsedAt = _time.GetUtcNow(),
            });
            var path = Step(display, "assemble model", () => Assemble(key, manifest));
            Log.PullCompleted(_logger, display, key, Stopwatch.GetElapsedTime(started).TotalSeconds, totals.Downloaded, totals.Resumed);
            _metrics.PullsSucceeded.Inc();
            observers.Completed(Stopwatch.GetElapsedTime(started), totals.Downloaded, fromCache: false);
            return new ModelHandle(display, digest, path) { CacheKey = key };
        }
        catch (Exception e)
        {
            _metrics.PullsFailed.WithLabels((e as ModelFetchException)?.FailureKind.ToString() ?? (e is OperationCanceledException ? "Canceled" : "Internal")).Inc();
            if (e is ModelFetchException)
            {
                Log.PullFailed(_logger, display, (e as ModelPullException)?.Step ?? "pull", e.Message);
            }

            observers.Failed(e.Message);
            throw;
        }
        finally
        {
            _pullObservers.TryRemove(new KeyValuePair<string, PullObserverGroup>(key, observers));
            lock (_gate)
            {
                _activePulls.Remove(key);
            }

            _metrics.BytesDownloaded.Inc(totals.Downloaded);
            _metrics.PullDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            UpdateGauges();
        }
    }

    private long PartialLength(string digest)
    {
        var partial = new FileInfo(_layout.PartialBlob(digest));
        return partial.Exists ? partial.Length : 0;
    }

    private bool IsLayerCached(OciDescriptor layer) =>
        IsRaw(layer) ? File.Exists(_layout.Blob(layer.Digest)) : Directory.Exists(_layout.Layer(LayerKey(layer)));

    private static bool IsRaw(OciDescriptor layer) =>
        LayerMediaType.TryParse(layer.MediaType, out var type) && type.Form == LayerForm.Raw;

    /// <summary>
    /// An unpacked tar layer is keyed by its digest and the path annotation together, because the
    /// annotation can decide where a lone file lands (a tar holding only a basename).
    /// </summary>
    private static string LayerKey(OciDescriptor layer)
    {
        var path = layer.Annotation(ModelPackAnnotations.CncfFilePath) ?? layer.Annotation(ModelPackAnnotations.CnaiFilePath) ?? string.Empty;
        return Digest.Hex(Digest.Of(System.Text.Encoding.UTF8.GetBytes(layer.Digest + "\n" + path)));
    }

    private Task EnsureLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken) =>
        IsRaw(layer)
            ? EnsureRawBlobAsync(repository, layer, totals, cancellationToken)
            : _layerPulls.RunAsync(LayerKey(layer), token => UnpackTarLayerAsync(repository, layer, totals, token), cancellationToken);

    private Task EnsureRawBlobAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, CancellationToken cancellationToken)
    {
        if (File.Exists(_layout.Blob(blob.Digest)))
        {
            return Task.CompletedTask;
        }

        return _layerPulls.RunAsync(blob.Digest, async token =>
        {
            if (File.Exists(_layout.Blob(blob.Digest)))
            {
                return true;
            }

            await DownloadAsync(repository, blob, totals, stream => stream.CopyToAsync(Stream.Null, CopyBufferSize, token), token);
            var blobPath = _layout.Blob(blob.Digest);
            File.Move(_layout.PartialBlob(blob.Digest), blobPath, overwrite: true);
            Log.LayerCached(_logger, blob.Digest, blob.MediaType, blob.Size);
            return true;
        }, cancellationToken);
    }

    private async Task<bool> UnpackTarLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken)
    {
        var final = _layout.Layer(LayerKey(layer));
        if (Directory.Exists(final))
        {
            return true;
        }

        var work = _layout.NewTempDirectory("layer");
        try
        {
            await DownloadAsync(repository, layer, totals, stream => _unpacker.UnpackAsync(stream, layer, work, UnpackLimits.Default, cancellationToken), cancellationToken);
            ModelTreeLinker.MakeReadableByAll(work);
            Directory.Move(work, final);
            File.Delete(_layout.PartialBlob(layer.Digest));
            Log.LayerCached(_logger, layer.Digest, layer.MediaType, layer.Size);
            return true;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>
    /// Streams a blob through <paramref name="consume"/> while saving it to its partial file and
    /// verifying it; resumes from whatever an earlier attempt saved.
    /// </summary>
    private async Task DownloadAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, Func<Stream, Task> consume, CancellationToken cancellationToken)
    {
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new UnsupportedLayerException(blob.Digest, blob.MediaType);
        }

        var partialPath = _layout.PartialBlob(blob.Digest);
        var saved = PartialLength(blob.Digest);
        if (saved > 0)
        {
            Log.ResumingBlob(_logger, blob.Digest, saved);
        }

        bool verified;
        await using (var partial = new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.Asynchronous))
        {
            await using var stream = new PartialBlobStream(partial, saved, blob, (offset, token) => repository.OpenBlobAsync(blob, offset, token), totals.Read);
            try
            {
                await consume(stream);
                // Consumers stop at the end of the data they understand; the digest covers every byte.
                await stream.CopyToAsync(Stream.Null, CopyBufferSize, cancellationToken);
                verified = stream.IsVerified;
            }
            catch (DigestMismatchException)
            {
                partial.SetLength(0);
                throw;
            }
            finally
            {
                totals.Add(stream.BytesDownloaded, stream.BytesResumed);
            }

            await partial.FlushAsync(cancellationToken);
            partial.Flush(flushToDisk: true);
        }

        if (!verified)
        {
            throw new DigestMismatchException(blob.Digest, blob.Size, "(not read to the end)", -1, $"blob {blob.Digest}");
        }
    }

    private string Assemble(string key, OciManifest manifest)
    {
        var final = _layout.Model(key);
        if (Directory.Exists(final))
        {
            return final;
        }

        var work = _layout.NewTempDirectory("model");
        try
        {
            foreach (var layer in manifest.Layers)
            {
                if (IsRaw(layer))
                {
                    _unpacker.LinkRaw(_layout.Blob(layer.Digest), layer, work);
                    ModelTreeLinker.MakeReadableByAll(_layout.Blob(layer.Digest));
                }
                else
                {
                    ModelTreeLinker.LinkTree(_layout.Layer(LayerKey(layer)), work);
                }
            }

            File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
            Directory.Move(work, final);
            return final;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private void SaveBlob(string digest, byte[] content)
    {
        var path = _layout.Blob(digest);
        if (!File.Exists(path))
        {
            var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            File.WriteAllBytes(temp, content);
            File.Move(temp, path, overwrite: true);
        }
    }

    private void WriteRecord(CachedModelRecord record)
    {
        lock (_recordLock)
        {
            var path = _layout.ModelRecord(record.Key);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, RecordJson));
            File.Move(temp, path, overwrite: true);
        }
    }

    private void TouchRecord(string key, string reference)
    {
        lock (_recordLock)
        {
            if (TryReadRecord(_layout.ModelRecord(key)) is not { } record)
            {
                return;
            }

            var references = record.References.Where(r => r != reference).Append(reference).ToList();
            WriteRecord(record with { References = references, LastUsedAt = _time.GetUtcNow() });
        }
    }

    private static CachedModelRecord? TryReadRecord(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CachedModelRecord>(File.ReadAllBytes(path), RecordJson);
        }
        // A selection that no longer parses (FormatException) makes the record unreadable like any other damage.
        catch (Exception e) when (e is IOException or JsonException or FormatException)
        {
            return null;
        }
    }

    private T Step<T>(string reference, string step, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (Classify(e) is not null)
        {
            throw new ModelPullException(Classify(e)!.Value, reference, $"{step} for '{reference}' failed: {e.Message}", e) { Step = step };
        }
    }

    private void Step(string reference, string step, Action action) =>
        Step(reference, step, () =>
        {
            action();
            return true;
        });

    private static async Task<T> FetchStepAsync<T>(OciReference reference, string step, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (Classify(e) is not null)
        {
            throw new ModelPullException(Classify(e)!.Value, reference.ToString(), $"{step} for '{reference}' failed: {e.Message}", e) { Step = step };
        }
    }

    private static Task FetchStepAsync(OciReference reference, string step, Func<Task> action) =>
        FetchStepAsync(reference, step, async () =>
        {
            await action();
            return true;
        });

    /// <summary>
    /// What went wrong, as the kind the CSI layer maps to a status code; null for failures that are
    /// bugs or unknown, which travel unchanged and surface as Internal.
    /// </summary>
    private static ModelFetchFailureKind? Classify(Exception e) => e switch
    {
        ModelFetchException => null,
        ManifestNotFoundException or BlobNotFoundException => ModelFetchFailureKind.NotFound,
        RegistryAuthException => ModelFetchFailureKind.PermissionDenied,
        RegistryUnavailableException or HttpRequestException => ModelFetchFailureKind.Unavailable,
        DigestMismatchException or UnsafeArchiveEntryException or ModelPackFormatException => ModelFetchFailureKind.DataCorrupted,
        UnsupportedArtifactException or UnsupportedLayerException or IndexSelectionException => ModelFetchFailureKind.Unsupported,
        IOException io when IsNoSpace(io) => ModelFetchFailureKind.InsufficientStorage,
        _ => null,
    };

    private static bool IsNoSpace(IOException e) =>
        e.HResult == ModelTreeLinker.NoSpaceHResult || e.Message.Contains("No space left", StringComparison.Ordinal) || e.Message.Contains("ENOSPC", StringComparison.Ordinal);

    /// <summary>Stops pulls in progress; their partial files stay for the next start to resume.</summary>
    public void Dispose()
    {
        // The container may dispose the instance once per registration it is reachable through.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _lifetime.Cancel();
            _lifetime.Dispose();
        }
    }
}
