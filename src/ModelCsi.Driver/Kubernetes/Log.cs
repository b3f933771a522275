namespace ModelCsi.Driver.Kubernetes;

internal static partial class Log
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "No Kubernetes API configured (no --kubeconfig, no KUBECONFIG, not in a cluster): ModelCaches, pod pull secrets and Events are off")]
    public static partial void KubernetesOff(ILogger logger);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Watching {What} failed ({Error}); reconnecting in {Delay} from resourceVersion {ResourceVersion}")]
    public static partial void WatchFailed(ILogger logger, string what, string error, TimeSpan delay, string? resourceVersion);

    [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "Watch of {What} expired at resourceVersion {ResourceVersion} (410 Gone); listing again")]
    public static partial void WatchExpired(ILogger logger, string what, string? resourceVersion);

    [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "Watch of {What} reported an error: {Error}")]
    public static partial void WatchError(ILogger logger, string what, string error);
}
