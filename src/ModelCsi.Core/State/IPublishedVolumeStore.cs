namespace ModelCsi.Core.State;

/// <summary>
/// What this node published, by (volume id, target path). The real store persists each record before the mount
/// it describes; node logic tests use an in-memory one.
/// </summary>
public interface IPublishedVolumeStore
{
    IReadOnlyCollection<PublishedVolume> All { get; }

    /// <summary>How many volumes are recorded, without copying them.</summary>
    int Count { get; }

    PublishedVolume? Find(string volumeId, string targetPath);

    /// <summary>Any record for the target path, whatever volume it belongs to.</summary>
    PublishedVolume? FindByTarget(string targetPath);

    /// <summary>Records the volume durably (replacing an earlier record of the same volume and target).</summary>
    Task SaveAsync(PublishedVolume volume, CancellationToken cancellationToken = default);

    void Remove(string volumeId, string targetPath);
}
