using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Signing;

internal static partial class Log
{
    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Signature of {Reference} verified under rule {Rule}: {Reason}")]
    public static partial void Verified(ILogger logger, string reference, string rule, string reason);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Signature check of {Reference} failed under rule {Rule} ({Mode}): {Outcome}: {Reason}")]
    public static partial void Failed(ILogger logger, string reference, string rule, string mode, string outcome, string reason);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Debug, Message = "Found {Count} signature(s) of {Reference}; referrers API {Referrers}")]
    public static partial void Discovered(ILogger logger, string reference, int count, string referrers);
}
