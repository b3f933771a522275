namespace ModelCsi.Core.Cache;

/// <summary>Who holds a lease: its kind and an id unique within the kind (e.g. volume id and target path).</summary>
public readonly record struct LeaseHolder(LeaseKind Kind, string Id)
{
    public static LeaseHolder Volume(string volumeId, string targetPath) => new(LeaseKind.Volume, $"{volumeId}@{targetPath}");

    public static LeaseHolder DynamicMount(string volumeId, string name) => new(LeaseKind.DynamicMount, $"{volumeId}/{name}");

    public static LeaseHolder Pin(string owner) => new(LeaseKind.Pin, owner);

    public override string ToString() => $"{Kind}:{Id}";
}
