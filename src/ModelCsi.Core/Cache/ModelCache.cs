using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.Signing;
using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The node's model cache as its users see it: a <see cref="ModelStore"/> (layout, records, leases, eviction,
/// reconciliation) and the <see cref="PullPipeline"/> that fills it, built together.
/// </summary>
public sealed class ModelCache : IModelSource, IDisposable
{
    public ModelCache(
        IOptions<ModelCacheOptions> options,
        RegistryClient registry,
        LayerUnpacker unpacker,
        TimeProvider time,
        ILogger<ModelCache> logger,
        CacheMetrics? metrics = null,
        CredentialResolver? credentials = null,
        IModelSignatureVerifier? verifier = null,
        IFileSync? fileSync = null)
    {
        Store = new ModelStore(options, time, logger, metrics, fileSync);
        Pipeline = new PullPipeline(Store, registry, unpacker, logger, credentials, verifier);
    }

    public ModelStore Store { get; }

    public PullPipeline Pipeline { get; }

    public CacheLayout Layout => Store.Layout;

    public Task<ModelHandle> AcquireAsync(ModelRequest request, CancellationToken cancellationToken = default) =>
        Pipeline.AcquireAsync(request, cancellationToken);

    public ModelLease Acquire(string cacheKey, LeaseHolder holder) => Store.Acquire(cacheKey, holder);

    /// <summary>Looks a model up without touching the network, leasing it to <paramref name="holder"/> when given.</summary>
    public bool TryAcquire(string reference, string cacheKey, LeaseHolder? holder, out ModelHandle handle) =>
        Store.TryAcquire(reference, cacheKey, holder, out handle);

    public IReadOnlyList<CachedModelRecord> ListModels() => Store.ListModels();

    public EvictionResult CollectGarbage(long neededBytes = 0, bool dryRun = false) => Store.CollectGarbage(neededBytes, dryRun);

    public int Reconcile() => Store.Reconcile();

    public long MeasureCacheBytes() => Store.MeasureCacheBytes();

    /// <summary>Corrects the tracked cache size by a walk of the disk, outside the lock cache hits take.</summary>
    public long RemeasureUsage() => Store.RemeasureUsage();

    /// <summary>Stops pulls in progress; their partial files stay for the next start to resume.</summary>
    public void Dispose() => Pipeline.Dispose();
}
