using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Kubernetes;

internal static partial class Log
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Could not post the {Reason} Event on pod {Namespace}/{Pod}: {Error} (further failures for this pull are not logged)")]
    public static partial void EventFailed(ILogger logger, string reason, string @namespace, string pod, string error);
}
