using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Transfer;

internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Blob {Digest}: continuing from {Offset} bytes after a dropped connection ({Reason}), attempt {Attempt}")]
    public static partial void Reconnecting(ILogger logger, string digest, long offset, string reason, int attempt);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Blob {Digest}: resuming after {Bytes} bytes saved by an earlier attempt")]
    public static partial void Resuming(ILogger logger, string digest, long bytes);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Blob {Digest}: the resumed download did not verify; the saved prefix is discarded and the blob fetched from the start")]
    public static partial void RestartingAfterBadPrefix(ILogger logger, string digest);
}
