using System.Collections.Concurrent;
using ModelCsi.Core.Cache;
using ModelCsi.Core.State;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The lease each published volume target holds on its model. A volume published at two targets holds two,
/// so unpublishing one target never frees the model the other still shows.
/// </summary>
internal sealed class PublishedLeases
{
    private readonly ConcurrentDictionary<(string VolumeId, string Target), ModelLease> _leases = new();

    public int Count => _leases.Count;

    /// <summary>Keeps the lease for the target; a lease already kept for it (an idempotent retry) is released.</summary>
    public void Keep(string volumeId, string target, ModelLease lease)
    {
        _leases.AddOrUpdate((volumeId, target), lease, (_, old) =>
        {
            if (!ReferenceEquals(old, lease))
            {
                old.Dispose();
            }

            return lease;
        });
    }

    public bool Holds(string volumeId, string target) => _leases.ContainsKey((volumeId, target));

    /// <summary>
    /// At start: every volume target recorded before the restart takes its lease back, before anything can evict
    /// its model. Dynamic volumes have no model of their own; their mounts take leases as their state is taken up.
    /// </summary>
    public void Restore(IPublishedVolumeStore volumes, IModelSource models)
    {
        foreach (var volume in volumes.All.Where(v => !v.Dynamic && v.CacheKey.Length > 0))
        {
            Keep(volume.VolumeId, volume.TargetPath, models.Acquire(volume.CacheKey, LeaseHolder.Volume(volume.VolumeId, volume.TargetPath)));
        }
    }

    public void Release(string volumeId, string target)
    {
        if (_leases.TryRemove((volumeId, target), out var lease))
        {
            lease.Dispose();
        }
    }
}
