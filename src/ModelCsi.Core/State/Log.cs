using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.State;

internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Loaded {Count} published volume records from {Directory}")]
    public static partial void Loaded(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Removed temp file {File} left by an interrupted write")]
    public static partial void TornTempFileRemoved(ILogger logger, string file);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Skipped unreadable published volume record {File}: {Reason}")]
    public static partial void UnreadableRecordSkipped(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Could not delete temp file {File}: {Reason}")]
    public static partial void TempFileDeleteFailed(ILogger logger, string file, string reason);
}
