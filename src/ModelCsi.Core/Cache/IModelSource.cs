namespace ModelCsi.Core.Cache;

/// <summary>
/// Where published volumes and dynamic mounts get their model directories from: a complete, immutable directory
/// per reference, leased to the caller. How it is pulled, verified, de-duplicated and evicted is the cache's
/// business. Seam for node tests: the real implementation talks to registries.
/// </summary>
public interface IModelSource
{
    /// <summary>
    /// Returns a complete model directory for the reference, pulling it first when needed, with a lease for
    /// <see cref="ModelRequest.Holder"/> that the caller disposes when it no longer uses the model.
    /// Every failure surfaces as a <see cref="ModelPullException"/> (or a cancellation).
    /// </summary>
    Task<ModelHandle> AcquireAsync(ModelRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases a model whether or not it is on disk now: how holders recorded before a restart take their leases
    /// back before anything can evict.
    /// </summary>
    ModelLease Acquire(string cacheKey, LeaseHolder holder);
}
