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
}
