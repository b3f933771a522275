namespace ModelCsi.Core.Cache;

/// <summary>Settings of the node-local model cache.</summary>
public sealed class ModelCacheOptions
{
    /// <summary>The driver's root directory; the cache lives in its <c>cache/</c> folder.</summary>
    public string RootDirectory { get; set; } = "/var/lib/model-csi";

    /// <summary>Layers of one model fetched at once. Each stream is I/O bound; a few saturate a link.</summary>
    public int MaxParallelLayers { get; set; } = 4;

    /// <summary>Free space kept back on the cache filesystem beyond what a pull needs, in bytes.</summary>
    public long ReservedFreeBytes { get; set; } = 64L * 1024 * 1024;
}
