namespace ModelCsi.Driver.Dynamic;

internal static partial class Log
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Published dynamic volume {VolumeId} at {TargetPath}; API socket {Socket}")]
    public static partial void Published(ILogger logger, string volumeId, string targetPath, string socket);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Unpublished dynamic volume {VolumeId} from {TargetPath}")]
    public static partial void Unpublished(ILogger logger, string volumeId, string targetPath);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Dynamic volume {VolumeId}: took up {Count} mounts after a restart")]
    public static partial void Restored(ILogger logger, string volumeId, int count);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Dynamic volume {VolumeId}: mount {Name} of {Reference} requested")]
    public static partial void MountRequested(ILogger logger, string volumeId, string name, string reference);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Dynamic volume {VolumeId}: mount {Name} of {Reference} ({ManifestDigest}) is ready")]
    public static partial void MountReady(ILogger logger, string volumeId, string name, string reference, string manifestDigest);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Dynamic volume {VolumeId}: mount {Name} of {Reference} failed: {Reason}")]
    public static partial void MountFailed(ILogger logger, string volumeId, string name, string reference, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Dynamic volume {VolumeId}: mount {Name} removed")]
    public static partial void MountRemoved(ILogger logger, string volumeId, string name);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Dynamic volume {VolumeId} at {TargetPath} could not be taken up after a restart: {Reason}")]
    public static partial void RestoreFailed(ILogger logger, string volumeId, string targetPath, string reason);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Dynamic volume socket {Socket}: accept failed, retrying: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string socket, string reason);
}
