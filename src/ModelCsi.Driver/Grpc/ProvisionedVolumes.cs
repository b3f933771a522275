using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Csi.V1;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The volumes this controller process has created, by request name. A model volume has no backing
/// storage to look up, so this memory is what makes a retried CreateVolume return the digest it pinned
/// the first time (even if the tag moved in between) and what tells a conflicting request apart. It is
/// not persisted: csi-provisioner stops retrying once the PV object exists, and after a controller
/// restart a retry of an unfinished request simply resolves again.
/// </summary>
internal sealed class ProvisionedVolumes
{
    private const string VolumeIdPrefix = "model-";

    private readonly ConcurrentDictionary<string, ProvisionedVolume> _byName = new(StringComparer.Ordinal);

    /// <summary>A stable id from the volume name: the same PVC always maps to the same volume id.</summary>
    public static string VolumeIdFor(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return VolumeIdPrefix + Convert.ToHexStringLower(hash)[..16];
    }

    public ProvisionedVolume? Find(string name) => _byName.GetValueOrDefault(name);

    public bool ContainsVolumeId(string volumeId) => _byName.Values.Any(v => string.Equals(v.Volume.VolumeId, volumeId, StringComparison.Ordinal));

    /// <summary>Records the volume unless another request of the same name got there first; returns the one kept.</summary>
    public ProvisionedVolume Add(ProvisionedVolume volume) => _byName.GetOrAdd(volume.Name, volume);

    public void RemoveVolumeId(string volumeId)
    {
        foreach (var (name, volume) in _byName)
        {
            if (string.Equals(volume.Volume.VolumeId, volumeId, StringComparison.Ordinal))
            {
                _byName.TryRemove(name, out _);
            }
        }
    }
}
