using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.ModelPack;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Unpacked layer {Digest} ({MediaType}): {Files} files, {Bytes} bytes")]
    public static partial void LayerUnpacked(ILogger logger, string digest, string mediaType, int files, long bytes);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Layer {Digest} holds only '{EntryName}'; placing it at the annotated path '{FilePath}'")]
    public static partial void PlacedAtAnnotatedPath(ILogger logger, string digest, string entryName, string filePath);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Not packing '{Path}': {Reason}")]
    public static partial void SkippedSourceEntry(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Skipping tar entry '{EntryName}' of type {EntryType} in layer {Digest}")]
    public static partial void SkippedTarEntry(ILogger logger, string entryName, string entryType, string digest);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Pulled {Reference} ({Digest}): {Files} files, {Bytes} bytes, at {Destination}")]
    public static partial void PullCompleted(ILogger logger, string reference, string digest, int files, long bytes, string destination);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Could not remove the staging directory {Staging}: {Reason}")]
    public static partial void StagingNotRemoved(ILogger logger, string staging, string reason);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Pushed {Reference} ({Digest}): {Uploaded} blobs uploaded, {Skipped} already present, {Bytes} bytes sent")]
    public static partial void PushCompleted(ILogger logger, string reference, string digest, int uploaded, int skipped, long bytes);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Resuming tar layer {Digest} from its checkpoint at byte {Offset}, after {Entries} entries (last '{LastEntry}')")]
    public static partial void ResumingTarLayer(ILogger logger, string digest, long offset, int entries, string lastEntry);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Debug, Message = "Tar layer {Digest}: checkpoint at byte {Offset} after {Entries} entries")]
    public static partial void TarCheckpoint(ILogger logger, string digest, long offset, int entries);
}
