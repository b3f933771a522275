namespace ModelCsi.Core.Cache;

/// <summary>What holds a model in the cache; every kind keeps it from eviction alike.</summary>
public enum LeaseKind
{
    /// <summary>A published volume at one target path (a volume published at two targets holds two leases).</summary>
    Volume,

    /// <summary>A model mounted into a dynamic volume through its socket.</summary>
    DynamicMount,

    /// <summary>A warm-up pin (a ModelCache resource) that keeps the model on the node.</summary>
    Pin,

    /// <summary>A pull in progress: its layers are protected before any model references them.</summary>
    Pull,
}
