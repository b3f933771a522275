using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Cache;

/// <summary>Settings of the node-local model cache (the <c>cache:</c> section of the driver's configuration).</summary>
public sealed class ModelCacheOptions
{
    /// <summary>The driver's root directory; the cache lives in its <c>cache/</c> folder.</summary>
    public string RootDirectory { get; set; } = "/var/lib/model-csi";

    /// <summary>Layers of one model fetched at once. Each stream is I/O bound; a few saturate a link.</summary>
    public int MaxParallelLayers { get; set; } = 4;

    /// <summary>
    /// How each layer is downloaded (the <c>cache: fetch:</c> subsection): ring buffer size and count, writeback
    /// interval, overall timeout, minimum rate and reconnects. Checked when the cache opens.
    /// </summary>
    public LayerFetchOptions Fetch { get; set; } = new();

    /// <summary>Free space kept back on the cache filesystem beyond what a pull needs, in bytes.</summary>
    public long ReservedFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most bytes the cache may hold (blobs and unpacked layers); zero means no limit but the disk.</summary>
    public ByteSize MaxSize { get; set; } = ByteSize.Zero;

    /// <summary>Share of the cache filesystem (0-100) that must stay free; models are evicted to keep it.</summary>
    public double MinFreePercent { get; set; }

    /// <summary>How often unused models are evicted to bring the cache back under its limits; zero turns the timer off.</summary>
    public TimeSpan GcInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Partial downloads untouched for this long are deleted by the start-up reconciliation.</summary>
    public TimeSpan PartialMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long verified blobs and layers that no model references yet are kept when no pull needs the
    /// room: a pull killed after some of its layers completed finds them again when it is retried,
    /// instead of downloading them twice.
    /// </summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether opening the cache repairs drift left by a crash. Off for read-only tools that must not disturb a running driver.</summary>
    public bool ReconcileAtStart { get; set; } = true;
}
