namespace ModelCsi.Driver.ModelCaches;

internal static partial class Log
{
    [LoggerMessage(EventId = 950, Level = LogLevel.Warning, Message = "Could not write this node's status of ModelCache {Cache}: {Error}")]
    public static partial void StatusWriteFailed(ILogger logger, string cache, string error);

    [LoggerMessage(EventId = 951, Level = LogLevel.Information, Message = "ModelCache {Cache}: warming {Request}")]
    public static partial void Warming(ILogger logger, string cache, string request);

    [LoggerMessage(EventId = 952, Level = LogLevel.Information, Message = "ModelCache {Cache}: {Digest} ready on this node ({Size} bytes)")]
    public static partial void Warmed(ILogger logger, string cache, string digest, long size);

    [LoggerMessage(EventId = 953, Level = LogLevel.Warning, Message = "ModelCache {Cache} failed on this node: {Error}")]
    public static partial void WarmFailed(ILogger logger, string cache, string error);

    [LoggerMessage(EventId = 954, Level = LogLevel.Information, Message = "ModelCache {Cache} released on this node ({Why}); its pin is dropped")]
    public static partial void Released(ILogger logger, string cache, string why);

    [LoggerMessage(EventId = 955, Level = LogLevel.Information, Message = "ModelCaches on node {Node}: watching (field manager {FieldManager})")]
    public static partial void NodeAgentStarted(ILogger logger, string node, string fieldManager);

    [LoggerMessage(EventId = 956, Level = LogLevel.Information, Message = "ModelCaches: controller watching (field manager {FieldManager})")]
    public static partial void ControllerStarted(ILogger logger, string fieldManager);

    [LoggerMessage(EventId = 957, Level = LogLevel.Warning, Message = "ModelCache {Cache}: could not resolve {Reference}: {Error}")]
    public static partial void ResolveFailed(ILogger logger, string cache, string reference, string error);

    [LoggerMessage(EventId = 958, Level = LogLevel.Warning, Message = "ModelCache {Cache}: could not write the summary: {Error}")]
    public static partial void SummaryWriteFailed(ILogger logger, string cache, string error);
}
