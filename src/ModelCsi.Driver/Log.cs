using Grpc.Core;

namespace ModelCsi.Driver;

/// <summary>The driver's own log messages, EventIds 1200-1299 (the cache has 1000-1099, dynamic volumes 1100-1199).</summary>
internal static partial class Log
{
    private static readonly Func<ILogger, string, string, string, IDisposable?> RpcScopeFormatter =
        LoggerMessage.DefineScope<string, string, string>("rpc={Method} volume={VolumeId} target={TargetPath}");

    private static readonly Func<ILogger, string, string, string, IDisposable?> PodScopeFormatter =
        LoggerMessage.DefineScope<string, string, string>("pod={PodNamespace}/{PodName} model={ModelReference}");

    public static IDisposable? RpcScope(ILogger logger, string method, string volumeId, string targetPath) =>
        RpcScopeFormatter(logger, method, volumeId, targetPath);

    public static IDisposable? PodScope(ILogger logger, string podNamespace, string podName, string reference) =>
        PodScopeFormatter(logger, podNamespace, podName, reference);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "{Method} started")]
    public static partial void RpcStarted(ILogger logger, string method);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "{Method} succeeded")]
    public static partial void RpcSucceeded(ILogger logger, string method);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "{Method} failed with {StatusCode}: {Detail}")]
    public static partial void RpcFailed(ILogger logger, string method, StatusCode statusCode, string detail, Exception? exception);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Published model {Reference} ({ManifestDigest}) at {TargetPath}")]
    public static partial void Published(ILogger logger, string reference, string manifestDigest, string targetPath);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Volume already published at {TargetPath}; nothing to do")]
    public static partial void AlreadyPublished(ILogger logger, string targetPath);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Unpublished {TargetPath}")]
    public static partial void Unpublished(ILogger logger, string targetPath);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Warning, Message = "Probe: {RootDir} is not writable: {Reason}")]
    public static partial void ProbeNotReady(ILogger logger, string rootDir, string reason);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Warning, Message = "Target {TargetPath} was mounted read-write; remounting to enforce read-only")]
    public static partial void MountNotReadOnly(ILogger logger, string targetPath);

    [LoggerMessage(EventId = 1230, Level = LogLevel.Information, Message = "Provisioned volume {VolumeId} for {Name}: {RequestedReference} pinned to {PinnedReference} ({ModelBytes} bytes)")]
    public static partial void VolumeProvisioned(ILogger logger, string volumeId, string name, string requestedReference, string pinnedReference, long modelBytes);

    [LoggerMessage(EventId = 1231, Level = LogLevel.Information, Message = "Deleted volume {VolumeId}; the nodes' caches keep the model until eviction")]
    public static partial void VolumeDeleted(ILogger logger, string volumeId);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information, Message = "{DriverName} {Version} serving {Mode} on {SocketPath} as node {NodeId}")]
    public static partial void Listening(ILogger logger, string driverName, string version, Options.DriverMode mode, string socketPath, string nodeId);

    [LoggerMessage(EventId = 1240, Level = LogLevel.Information, Message = "Cache collection evicted {Models} models and freed {Bytes} bytes; cache holds {CacheBytes} bytes")]
    public static partial void CacheCollected(ILogger logger, int models, long bytes, long cacheBytes);

    [LoggerMessage(EventId = 1241, Level = LogLevel.Warning, Message = "Cache collection failed")]
    public static partial void CacheCollectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1242, Level = LogLevel.Warning, Message = "Volume {VolumeId} is recorded as published at {TargetPath} but nothing is mounted there; keeping the record (and its model) until kubelet unpublishes it")]
    public static partial void PublishedButNotMounted(ILogger logger, string volumeId, string targetPath);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "Serving /metrics and /healthz on {Address}")]
    public static partial void MetricsListening(ILogger logger, string address);

    [LoggerMessage(EventId = 1090, Level = LogLevel.Warning, Message = "Nothing of this volume is recorded at {TargetPath}; left it alone")]
    public static partial void NothingToUnpublish(ILogger logger, string targetPath);
}
