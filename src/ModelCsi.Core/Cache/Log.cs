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

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Resuming blob {Digest} from byte {Offset}")]
    public static partial void ResumingBlob(ILogger logger, string digest, long offset);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Removed leftover work directory {Path}")]
    public static partial void RemovedLeftover(ILogger logger, string path);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Layer {Digest} ({MediaType}, {Size} bytes) cached")]
    public static partial void LayerCached(ILogger logger, string digest, string mediaType, long size);
}
