using System.Collections.Concurrent;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Warm-up through the same pull pipeline as publishes (a pod publishing the model meanwhile joins the pull),
/// and pins as leases of their own: a pinned model is held like a mounted one, and eviction makes room for a
/// pin only from unused, unpinned models.
/// </summary>
internal sealed class CacheModelWarmer(IModelSource models) : IModelWarmer
{
    private readonly ConcurrentDictionary<string, ModelLease> _pins = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> PinnedOwners => _pins.Keys.ToList();

    public async Task<WarmedModel> WarmAndPinAsync(WarmRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Every node pulls the digest the controller resolved, so a tag moving mid-rollout cannot split the fleet.
        var reference = request.ResolvedDigest is { } digest
            ? OciReference.Parse(request.ModelRef).WithDigest(digest).ToString()
            : request.ModelRef;
        var secrets = request.DockerConfigJson is { } json
            ? new Dictionary<string, string> { [".dockerconfigjson"] = json }
            : ModelRequest.NoSecrets;
        var handle = await models.AcquireAsync(
            new ModelRequest(reference, secrets)
            {
                Selection = LayerSelection.FromAttributes(request.SelectionAttributes),
                Holder = request.Pin ? LeaseHolder.Pin(request.Owner) : null,
                Observer = progress is null ? null : new WarmProgressObserver(progress),
            },
            cancellationToken);
        if (handle.Lease is { } lease)
        {
            _pins.AddOrUpdate(request.Owner, lease, (_, old) =>
            {
                old.Dispose();
                return lease;
            });
        }
        else
        {
            Unpin(request.Owner);
        }

        return new WarmedModel(handle.ManifestDigest, TreeUsage.Measure(handle.ModelPath).Bytes);
    }

    public void Unpin(string owner)
    {
        if (_pins.TryRemove(owner, out var lease))
        {
            lease.Dispose();
        }
    }
}
