namespace ModelCsi.Core.Transfer;

/// <summary>
/// How one layer is fetched. The ring bounds memory per download to <see cref="BufferCount"/> ×
/// <see cref="BufferSize"/> (4 MiB by default); the network reader, the hasher and the writer (or the
/// consumer) work on different buffers at once, so the slowest of them sets the pace.
/// </summary>
public sealed record LayerFetchOptions
{
    public const int MinBufferSize = 4096;

    /// <summary>Bytes per ring buffer; each disk write and hash call covers one buffer.</summary>
    public int BufferSize { get; init; } = 1 << 20;

    /// <summary>Buffers in the ring: one being filled, one hashed and written, the rest absorbing jitter.</summary>
    public int BufferCount { get; init; } = 4;

    /// <summary>Writeback of the file is started every this many bytes, so the final fdatasync finds little dirty data.</summary>
    public long WritebackInterval { get; init; } = 32L << 20;

    /// <summary>
    /// A plain tar layer makes its entries durable and records a checkpoint after the first entry that ends at least
    /// this many bytes after the last checkpoint; a crash or kill resumes from there. 0 disables checkpoints.
    /// </summary>
    public long TarCheckpointInterval { get; init; } = 64L << 20;

    /// <summary>The whole download (every reconnect included) must finish within this; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Below this many bytes per second over a <see cref="RateWindow"/>, the download is abandoned as stalled; 0 disables.</summary>
    public long MinimumBytesPerSecond { get; init; } = 10_000;

    /// <summary>The period over which <see cref="MinimumBytesPerSecond"/> is checked (one timer per download).</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Dropped connections continued with a Range request in a row without a byte of progress in between.</summary>
    public int MaxReconnects { get; init; } = 5;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (BufferSize < MinBufferSize || BufferSize > (64 << 20))
        {
            throw new ArgumentException($"BufferSize {BufferSize} must be between {MinBufferSize} and {64 << 20} bytes");
        }

        if (BufferCount is < 2 or > 64)
        {
            throw new ArgumentException($"BufferCount {BufferCount} must be between 2 and 64");
        }

        if (WritebackInterval < BufferSize)
        {
            throw new ArgumentException($"WritebackInterval {WritebackInterval} must be at least BufferSize {BufferSize}");
        }

        if (TarCheckpointInterval < 0)
        {
            throw new ArgumentException($"TarCheckpointInterval {TarCheckpointInterval} must be >= 0");
        }

        if (Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Timeout {timeout} must be positive");
        }

        if (MinimumBytesPerSecond < 0 || RateWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException($"MinimumBytesPerSecond {MinimumBytesPerSecond} must be >= 0 and RateWindow {RateWindow} positive");
        }

        if (MaxReconnects is < 0 or > 100)
        {
            throw new ArgumentException($"MaxReconnects {MaxReconnects} must be between 0 and 100");
        }
    }
}
