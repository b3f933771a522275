using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Cache;

internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Cache hit for {Reference} ({ManifestDigest})")]
    public static partial void CacheHit(ILogger logger, string reference, string manifestDigest);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Pulling {Reference} ({ManifestDigest}): {LayerCount} layers, {Bytes} bytes")]
    public static partial void PullStarted(ILogger logger, string reference, string manifestDigest, int layerCount, long bytes);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Pulled {Reference} ({ManifestDigest}) in {Seconds:F2}s: {Downloaded} bytes downloaded, {Resumed} resumed from disk")]
    public static partial void PullCompleted(ILogger logger, string reference, string manifestDigest, double seconds, long downloaded, long resumed);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Pull of {Reference} failed at step {Step}: {Reason}")]
    public static partial void PullFailed(ILogger logger, string reference, string step, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Removed leftover work directory {Path}")]
    public static partial void RemovedLeftover(ILogger logger, string path);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Layer {Digest} ({MediaType}, {Size} bytes) cached")]
    public static partial void LayerCached(ILogger logger, string digest, string mediaType, long size);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Evicted {References} ({ManifestDigest}), last used {LastUsedAt:o}, {Size} bytes")]
    public static partial void Evicted(ILogger logger, string references, string manifestDigest, DateTimeOffset lastUsedAt, long size);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Removed unreferenced cache content {Path} ({Bytes} bytes)")]
    public static partial void RemovedUnreferenced(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Could not delete {Path}: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Cache reconciliation {Fix}: {Path}")]
    public static partial void Reconciled(ILogger logger, string fix, string path);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Cache at {Root} reconciled: {Fixes} fixes")]
    public static partial void ReconcileDone(ILogger logger, string root, int fixes);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "The registry is unavailable for {Reference}; serving its last-known resolution {CacheKey}, resolved at {ResolvedAt:o}: {Reason}")]
    public static partial void StaleResolution(ILogger logger, string reference, string cacheKey, DateTimeOffset? resolvedAt, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "{Reference} served from this node's last resolution {CacheKey} under pullPolicy {Policy}, no registry request")]
    public static partial void KnownResolution(ILogger logger, string reference, string cacheKey, PullPolicy policy);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Cached blob {Digest} changed on disk (size, mode or content); it is downloaded again")]
    public static partial void CachedBlobChanged(ILogger logger, string digest);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Layer {Digest} did not unpack ({Reason}); reading it through its digest check to tell corruption from a malformed artifact")]
    public static partial void CheckingDigestAfterFormatError(ILogger logger, string digest, string reason);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "Tar layer {Digest} resumed at byte {Offset} did not complete ({Reason}); discarding the partial layer and fetching it again from byte 0")]
    public static partial void TarResumeFailed(ILogger logger, string digest, long offset, string reason);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Information, Message = "Cache at {Root}: the tracked size was off by {DriftBytes} bytes from a walk of the disk, corrected")]
    public static partial void UsageCorrected(ILogger logger, string root, long driftBytes);
}
