using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Warm-up through the same pull pipeline as publishes (a pod publishing the model meanwhile joins the pull),
/// and pins as leases of their own: a pinned model is held like a mounted one, and eviction makes room for a
/// pin only from unused, unpinned models. Pins are written to <c>state/pins.json</c>, so a restarted driver holds
/// them again before anything can evict, and <c>modelcsi cache ls</c> can say which ModelCache pins what.
/// </summary>
internal sealed class CacheModelWarmer : IModelWarmer
{
    private readonly IModelSource _models;
    private readonly string _file;
    private readonly Lock _fileLock = new();
    private readonly ConcurrentDictionary<string, ModelLease> _pins = new(StringComparer.Ordinal);

    public CacheModelWarmer(IModelSource models, IOptions<DriverOptions> options)
    {
        _models = models;
        _file = PinFile.PathFor(options.Value.RootDir);
        foreach (var (owner, key) in PinFile.Read(_file))
        {
            _pins[owner] = models.Acquire(key, LeaseHolder.Pin(owner));
        }
    }

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
        var handle = await _models.AcquireAsync(
            new ModelRequest(reference, secrets)
            {
                Selection = LayerSelection.FromAttributes(request.SelectionAttributes),
                PullPolicy = PullPolicies.Parse(request.PullPolicy),
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
            Save();
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
            Save();
            lease.Dispose();
        }
    }

    private void Save()
    {
        lock (_fileLock)
        {
            PinFile.Write(_file, _pins.ToDictionary(p => p.Key, p => p.Value.CacheKey, StringComparer.Ordinal));
        }
    }
}
