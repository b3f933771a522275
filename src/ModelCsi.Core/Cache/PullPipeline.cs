using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Failures;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.Signing;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The one way a model gets onto the node, for publishes, dynamic mounts, warm-up and the CLI alike:
/// resolve the reference → check its signature policy → plan the layers → fetch, verify and unpack each layer →
/// assemble the model in the store. Each model is pulled once no matter how many callers ask; the caller's lease is taken as the model is
/// handed out.
/// </summary>
public sealed class PullPipeline : IDisposable
{
    private readonly ModelStore _store;
    private readonly RegistryClient? _registry;
    private readonly CredentialResolver _credentials;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SingleFlight<string, ModelHandle> _modelPulls;
    private readonly LayerFetcher _fetcher;
    private readonly ModelAssembler _assembler;
    private readonly ConcurrentDictionary<string, PullObserverGroup> _pullObservers = new(StringComparer.Ordinal);
    private readonly SignatureStage _signatures;
    private readonly AccessGuard _access;
    private int _disposed;

    /// <param name="registry">Resolves references; null when every request comes resolved (a one-off CLI pull).</param>
    /// <param name="verifier">The signature policy, checked for every model before any of its layers is fetched; null for none.</param>
    public PullPipeline(
        ModelStore store, RegistryClient? registry, LayerUnpacker unpacker, ILogger? logger = null, CredentialResolver? credentials = null,
        IModelSignatureVerifier? verifier = null)
    {
        _signatures = new SignatureStage(store, verifier);
        _access = new AccessGuard(store);
        _store = store;
        _registry = registry;
        _credentials = credentials ?? new CredentialResolver([new SecretsCredentialSource()], NullLogger<CredentialResolver>.Instance);
        _logger = logger ?? NullLogger<PullPipeline>.Instance;
        _modelPulls = new SingleFlight<string, ModelHandle>(_lifetime.Token);
        _fetcher = new LayerFetcher(store, unpacker, _lifetime.Token);
        _assembler = new ModelAssembler(store.Layout, unpacker);
    }

    /// <summary>Pulls in progress now (shared pulls count once).</summary>
    public int PullsInProgress => _modelPulls.RunningCount;

    /// <summary>
    /// Returns a complete model directory for the reference, pulling it first when needed, leased to the request's
    /// holder when it names one. Every failure is a <see cref="ModelPullException"/> (or a cancellation), counted
    /// once by reason.
    /// </summary>
    public async Task<ModelHandle> AcquireAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await CountFailuresAsync(request, () => RunAsync(request, null, cancellationToken));
    }

    /// <summary>
    /// The same for a model the caller resolved itself with its own repository client (the CLI, which holds the
    /// credentials): the resolve stage is skipped.
    /// </summary>
    public async Task<ModelHandle> AcquireAsync(RepositoryClient repository, ResolvedModel model, ModelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        return await CountFailuresAsync(request, () => RunAsync(request, (repository, model), cancellationToken));
    }

    private async Task<ModelHandle> CountFailuresAsync(ModelRequest request, Func<Task<ModelHandle>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e)
        {
            var kind = FailureTable.KindOf(e);
            _store.Metrics.PullsFailed.WithLabels(FailureTable.For(kind).Reason).Inc();
            if (e is ModelPullException failure)
            {
                request.Observer?.Failed(failure.Message);
            }

            throw;
        }
    }

    private async Task<ModelHandle> RunAsync(ModelRequest request, (RepositoryClient, ResolvedModel)? resolved, CancellationToken cancellationToken)
    {
        var reference = Parse(request.Reference);
        var display = reference.ToString();
        var selection = request.Selection;

        // A digest reference needs no registry round trip (nor a credential lookup) when the model is already here
        // (and its signature, if the policy wants one, was verified before).
        if (reference.Digest is { } pinned && await TryHitAsync(reference, CacheKeys.For(pinned, selection), request, null, cancellationToken) is { } cachedByDigest)
        {
            return cachedByDigest;
        }

        var policy = PullPolicies.Effective(request.PullPolicy, reference);
        if (reference.Digest is null && resolved is null && policy != PullPolicy.Always
            && _store.Records.FindResolution(display, selection?.CacheKey) is { } known
            && await TryHitAsync(reference, known, request, null, cancellationToken) is { } cachedTag)
        {
            // This node resolved this exact reference before and still has the model: no registry request at all.
            Log.KnownResolution(_logger, display, known, policy);
            return cachedTag;
        }

        if (policy == PullPolicy.Never)
        {
            throw new ModelPullException(FailureKind.FailedPrecondition, display, $"{display} is not in this node's cache and pullPolicy is Never")
            { Step = "look up cache" };
        }

        RepositoryClient repository;
        ResolvedModel model;
        RegistryCredential? credential = null;
        try
        {
            if (resolved is { } given)
            {
                (repository, model) = given;
            }
            else
            {
                (repository, model, credential) = await ResolveAsync(reference, request, cancellationToken);
            }
        }
        catch (ModelPullException e) when (e.Kind == FailureKind.Unavailable && reference.Digest is null && resolved is null)
        {
            // NotFound and PermissionDenied are never papered over: only a registry that cannot answer is.
            if (await TryLastKnownAsync(reference, request, e, cancellationToken) is { } stale)
            {
                return stale;
            }

            throw;
        }

        var key = CacheKeys.For(model.ManifestDigest, selection);
        if (await TryHitAsync(reference, key, request, (repository, credential), cancellationToken) is { } cached)
        {
            RememberResolution(reference, key);
            return cached;
        }

        var selected = Step(display, "select layers", () => PullPlan.SelectLayers(display, model, selection));
        // Each caller is checked under the rule for its own reference before it may join a pull: two repositories
        // can name the same digest under different rules.
        var signature = await _signatures.VerifyAsync(repository, reference, model.ManifestDigest, request, cancellationToken);
        _store.Metrics.CacheMisses.Inc();
        // A collection may evict a just-pulled model before it is leased (it is unused until then); pulling again is rare and correct.
        for (var attempt = 1; ; attempt++)
        {
            // Everyone waiting on the same pull hears how it goes, late joiners included.
            var observers = _pullObservers.GetOrAdd(key, _ => new PullObserverGroup());
            if (request.Observer is { } observer)
            {
                observers.Attach(observer);
            }

            var pulled = await _modelPulls.RunAsync(key, lifetime => PullAsync(repository, model, selected, selection, observers, lifetime), cancellationToken);
            if (_store.TryAcquire(display, pulled.CacheKey, request.Holder, out var claimed))
            {
                _signatures.Remember(pulled.CacheKey, signature);
                if (resolved is null)
                {
                    _access.Granted(pulled.CacheKey, reference, credential, pulled: true);
                }
                RememberResolution(reference, pulled.CacheKey);
                return claimed;
            }

            if (attempt == 2)
            {
                throw new ModelPullException(FailureKind.InsufficientStorage, display, $"{display} was evicted right after it was pulled, twice; the cache is too small for the models in use")
                { Step = "claim model" };
            }
        }
    }

    private void RememberResolution(OciReference reference, string key)
    {
        if (reference.Digest is null)
        {
            _store.Records.RecordResolution(key, reference.ToString());
        }
    }

    /// <summary>The registry cannot answer: the last-known resolution of this reference, if its model is still here.</summary>
    private async Task<ModelHandle?> TryLastKnownAsync(OciReference reference, ModelRequest request, ModelPullException failure, CancellationToken cancellationToken)
    {
        var display = reference.ToString();
        if (_store.Records.FindResolution(display, request.Selection?.CacheKey) is not { } lastKnown
            || await TryHitAsync(reference, lastKnown, request, null, cancellationToken) is not { } stale)
        {
            return null;
        }

        var resolvedAt = _store.Records.Get(lastKnown)?.Tags?.FirstOrDefault(t => t.Reference == display)?.ResolvedAt;
        Log.StaleResolution(_logger, display, lastKnown, resolvedAt, failure.Message);
        _store.Metrics.StaleResolutions.Inc();
        request.Observer?.Warning($"the registry is unavailable; serving {display} as this node last resolved it ({CacheKeys.ManifestDigestOf(lastKnown)}, {resolvedAt:u})");
        return stale;
    }

    /// <param name="connection">
    /// The repository and credential the caller just resolved the reference with; null when it was not resolved
    /// (a digest, or a tag served from this node's last resolution): then one is opened only if a check needs it.
    /// </param>
    private async Task<ModelHandle?> TryHitAsync(
        OciReference reference, string key, ModelRequest request, (RepositoryClient Repository, RegistryCredential? Credential)? connection, CancellationToken cancellationToken)
    {
        var display = reference.ToString();
        async Task<(RepositoryClient Repository, RegistryCredential? Credential)> OpenAsync() => connection ?? await ConnectAsync(reference, request, cancellationToken);

        // Signature and access are settled before the model is leased or its record touched: a refused caller leaves
        // no trace. Should the model be evicted in between, the lookup below misses and the pull checks again.
        if (Directory.Exists(_store.Layout.Model(key)))
        {
            if (_signatures.IsActive)
            {
                await _signatures.SettleAsync(reference, key, CacheKeys.ManifestDigestOf(key), request, async () => (await OpenAsync()).Repository, cancellationToken);
            }

            if (_registry is not null && connection is { } resolvedNow)
            {
                _access.Granted(key, reference, resolvedNow.Credential, pulled: false);
            }
            else if (_registry is not null)
            {
                await _access.CheckAsync(reference, key, OpenAsync, cancellationToken);
            }
        }

        if (!_store.TryAcquire(display, key, request.Holder, out var handle))
        {
            return null;
        }

        Log.CacheHit(_logger, display, key);
        _store.Metrics.CacheHits.Inc();
        request.Observer?.Completed(TimeSpan.Zero, 0, fromCache: true);
        return handle;
    }

    private async Task<(RepositoryClient Repository, ResolvedModel Model, RegistryCredential? Credential)> ResolveAsync(
        OciReference reference, ModelRequest request, CancellationToken cancellationToken)
    {
        var (repository, credential) = await ConnectAsync(reference, request, cancellationToken);
        try
        {
            return (repository, await ModelResolver.ResolveAsync(repository, cancellationToken), credential);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ModelPullException.From(e, reference.ToString(), "resolve manifest");
        }
    }

    private async Task<(RepositoryClient Repository, RegistryCredential? Credential)> ConnectAsync(OciReference reference, ModelRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await _credentials.ResolveAsync(
                reference.Registry, request.Credentials ?? CredentialContext.FromVolume(request.Secrets, null), cancellationToken);
            var registry = _registry ?? throw new InvalidOperationException("this pipeline resolves no references: pass the resolved model");
            return (registry.Repository(reference, credential), credential);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ModelPullException.From(e, reference.ToString(), "resolve manifest");
        }
    }

    private async Task<ModelHandle> PullAsync(
        RepositoryClient repository, ResolvedModel model, OciManifest manifest, LayerSelection? selection, PullObserverGroup observers, CancellationToken lifetime)
    {
        var digest = model.ManifestDigest;
        var key = CacheKeys.For(digest, selection);
        var display = model.Reference.ToString();
        var started = Stopwatch.GetTimestamp();
        var totals = new PullTotals(observers);
        _store.Metrics.PullsStarted.Inc();
        _store.Metrics.PullsInProgress.Inc();
        var pull = _store.BeginPull(key, digest, manifest);
        var step = "check disk space";
        try
        {
            var total = manifest.Layers.Sum(l => l.Size);
            Log.PullStarted(_logger, display, key, manifest.Layers.Count, total);
            observers.Started(display, digest, total);
            // A compressed layer may expand to anything: what it may write is the room left, not its size.
            totals.ExpansionBudget = _store.EnsureRoomFor(display, key, manifest, pull);

            step = "download layers";
            await Parallel.ForEachAsync(
                manifest.Layers,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _store.Options.MaxParallelLayers), CancellationToken = lifetime },
                async (layer, token) => await _fetcher.EnsureLayerAsync(repository, layer, totals, token));

            step = "download config";
            await _fetcher.EnsureRawBlobAsync(repository, manifest.Config, totals, lifetime);
            _store.SaveBlob(digest, model.ManifestBytes);

            step = "assemble model";
            // The record goes first: a model directory is never visible without one, so reconciliation never has to guess.
            _store.Records.Write(new CachedModelRecord
            {
                ManifestDigest = digest,
                Selection = selection,
                References = [display],
                Size = total,
                Layers = manifest.Layers.Select(l => l.Digest).ToList(),
                PulledAt = _store.Time.GetUtcNow(),
                LastUsedAt = _store.Time.GetUtcNow(),
            });
            var path = _assembler.Assemble(key, manifest);
            Log.PullCompleted(_logger, display, key, Stopwatch.GetElapsedTime(started).TotalSeconds, totals.Downloaded, totals.Resumed);
            _store.Metrics.PullsSucceeded.Inc();
            observers.Completed(Stopwatch.GetElapsedTime(started), totals.Downloaded, fromCache: false);
            return new ModelHandle(display, digest, path) { CacheKey = key };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failure = ModelPullException.From(e, display, step);
            Log.PullFailed(_logger, display, failure.Step ?? step, e.Message);
            observers.Failed(failure.Message);
            throw failure;
        }
        catch (OperationCanceledException e)
        {
            observers.Failed(e.Message);
            throw;
        }
        finally
        {
            _pullObservers.TryRemove(new KeyValuePair<string, PullObserverGroup>(key, observers));
            _store.EndPull(pull);
            _store.Metrics.PullsInProgress.Dec();
            _store.Metrics.BytesDownloaded.Inc(totals.Downloaded);
            _store.Metrics.PullDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            _store.UpdateGauges();
        }
    }

    private static OciReference Parse(string reference)
    {
        try
        {
            return OciReference.Parse(reference);
        }
        catch (ReferenceFormatException e)
        {
            throw new ModelPullException(FailureKind.InvalidArgument, reference, e.Message, e) { Step = "parse reference" };
        }
    }

    private static T Step<T>(string reference, string step, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ModelPullException.From(e, reference, step);
        }
    }

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
