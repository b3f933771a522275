using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Mounting;

internal static partial class Log
{
    // Debug: the node service logs every publish and unpublish at Information already; a second line per RPC is
    // formatting and console output on the hot path for nothing new.
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Bind-mounted {Source} read-only at {Target}")]
    public static partial void BindMounted(ILogger logger, string source, string target);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Unmounted {Target}")]
    public static partial void Unmounted(ILogger logger, string target);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Unmount of {Target} is busy; detaching it lazily")]
    public static partial void UnmountBusyDetaching(ILogger logger, string target);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Could not undo the bind mount at {Target} after the read-only remount failed: {Errno}")]
    public static partial void RollbackUnmountFailed(ILogger logger, string target, string errno);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Made {Path} a {Propagation} mount")]
    public static partial void PropagationSet(ILogger logger, string path, MountPropagation propagation);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Moved the mount at {Source} to {Target}")]
    public static partial void Moved(ILogger logger, string source, string target);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "statx reports no mount ids on this kernel; mount checks read the mount table instead (slower with many mounts)")]
    public static partial void StatxWithoutMountIds(ILogger logger);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "{Target} shows a mount this driver did not make (not the bind of {Source} it recorded); it is left alone and not unmounted")]
    public static partial void ForeignMountAtStart(ILogger logger, string target, string source);
}
