namespace ModelCsi.Driver.ModelCaches;

/// <summary>A <c>ModelCache</c> object (model.csi.modelpack.org/v1alpha1) as read from the API server.</summary>
public sealed record ModelCacheResource(
    string Name,
    string? Uid,
    DateTimeOffset CreationTimestamp,
    string? ResourceVersion,
    long Generation,
    ModelCacheSpec Spec,
    ModelCacheStatus Status)
{
    public const string Group = "model.csi.modelpack.org";
    public const string Version = "v1alpha1";
    public const string Plural = "modelcaches";
    public const string Kind = "ModelCache";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>The pin owner for this ModelCache in the node cache.</summary>
    public string Owner => "modelcache/" + Name;

    /// <summary>Oldest first, as pins are granted; the name breaks ties.</summary>
    public static IComparer<ModelCacheResource> OldestFirst { get; } = Comparer<ModelCacheResource>.Create((a, b) =>
    {
        var byAge = a.CreationTimestamp.CompareTo(b.CreationTimestamp);
        return byAge != 0 ? byAge : string.CompareOrdinal(a.Name, b.Name);
    });
}
