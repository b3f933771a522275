using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using ZstdSharp;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Extracts one model layer into a model root shared with the artifact's other layers, in one streaming
/// pass with bounded memory, refusing any entry that could escape the root (see <see cref="ArchiveRule"/>).
/// The content stream is always read to its end, because the caller's digest check fires at EOF.
/// </summary>
public sealed class LayerUnpacker(ILogger<LayerUnpacker>? logger = null)
{
    private const int CopyBufferSize = 1 << 20;
    private readonly ILogger _logger = logger ?? NullLogger<LayerUnpacker>.Instance;

    public async Task<UnpackResult> UnpackAsync(
        Stream content, OciDescriptor layer, string modelRoot, UnpackLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(limits);
        if (!LayerMediaType.TryParse(layer.MediaType, out var mediaType))
        {
            throw new UnsupportedLayerException(layer.Digest, layer.MediaType);
        }

        if (layer.Size < 0)
        {
            throw new ModelPackFormatException($"layer {layer.Digest} has a negative size ({layer.Size})");
        }

        // Raw and plain tar layers write what the descriptor says, and no more (the content stream is bounded by it).
        if (mediaType.Form is LayerForm.Raw or LayerForm.Tar && layer.Size > limits.MaxExpandedBytes)
        {
            throw new ExpansionLimitExceededException(layer.Digest, limits.MaxExpandedBytes, layer.Size);
        }

        using var writer = new ModelRootWriter(modelRoot, layer.Digest);
        UnpackResult result;
        try
        {
            result = mediaType.Form switch
            {
                LayerForm.Raw => await UnpackRawAsync(content, layer, writer, cancellationToken),
                LayerForm.Tar => await UnpackTarAsync(content, content, layer, writer, limits, layer.Size, cancellationToken),
                LayerForm.TarGzip => await UnpackCompressedAsync(content, new GZipStream(content, CompressionMode.Decompress, leaveOpen: true), layer, writer, limits, cancellationToken),
                LayerForm.TarZstd => await UnpackCompressedAsync(content, new DecompressionStream(content, leaveOpen: true), layer, writer, limits, cancellationToken),
                _ => throw new UnsupportedLayerException(layer.Digest, layer.MediaType),
            };
        }
        catch (Exception e) when (IsMalformedArchive(e))
        {
            // What the tar reader and the decompressors throw for bytes that are not what the media type says: the
            // artifact is broken (or was corrupted on the way: the digest is only checked at the end of the stream).
            throw new ModelPackFormatException(
                $"layer {layer.Digest} is not a valid {layer.MediaType} stream: {ValueExcerpt.Of(e.Message, 200)}", e);
        }

        Log.LayerUnpacked(_logger, layer.Digest, layer.MediaType, result.FilesWritten, result.BytesWritten);
        return result;
    }

    /// <summary>
    /// Extracts a plain tar layer into <paramref name="checkpoints"/>' tree, writing a checkpoint at entry
    /// boundaries (see <see cref="TarCheckpointer"/>), or continues one from its checkpoint: then
    /// <paramref name="content"/> starts at the checkpoint's offset.
    /// </summary>
    internal async Task<UnpackResult> UnpackResumableTarAsync(
        RingReadStream content, OciDescriptor layer, TarCheckpointer checkpoints, UnpackLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(limits);
        if (!LayerMediaType.TryParse(layer.MediaType, out var mediaType) || mediaType.Form != LayerForm.Tar)
        {
            throw new UnsupportedLayerException(layer.Digest, layer.MediaType);
        }

        if (layer.Size > limits.MaxExpandedBytes)
        {
            throw new ExpansionLimitExceededException(layer.Digest, limits.MaxExpandedBytes, layer.Size);
        }

        using var writer = new ModelRootWriter(checkpoints.Tree, layer.Digest) { Created = checkpoints.Created, Replacing = checkpoints.Replacing };
        UnpackResult result;
        try
        {
            result = await UnpackTarAsync(content, content, layer, writer, limits, layer.Size, cancellationToken, (checkpoints, content));
        }
        catch (Exception e) when (IsMalformedArchive(e))
        {
            throw new ModelPackFormatException(
                $"layer {layer.Digest} is not a valid {layer.MediaType} stream: {ValueExcerpt.Of(e.Message, 200)}", e);
        }

        Log.LayerUnpacked(_logger, layer.Digest, layer.MediaType, result.FilesWritten, result.BytesWritten);
        return result;
    }

    /// <summary>
    /// Places a raw layer whose verified blob is already on disk by hard-linking it into the model root,
    /// with the same path rules as unpacking it; the model shares the blob's bytes instead of copying them.
    /// </summary>
    public UnpackResult LinkRaw(string verifiedBlobPath, OciDescriptor layer, string modelRoot)
    {
        ArgumentNullException.ThrowIfNull(layer);
        using var writer = new ModelRootWriter(modelRoot, layer.Digest);
        var filePath = RawFilePath(layer);
        var path = writer.PrepareLeaf(filePath, writer.Normalize(filePath));
        ModelFiles.HardLink(verifiedBlobPath, path);
        // The link shares the blob's inode, so this also makes the cached blob read-only (0444 or 0555) and root's.
        ApplyMetadata(path, FileMetadataAnnotation(layer));
        writer.SealDirectories();
        return new UnpackResult(1, layer.Size);
    }

    /// <summary>
    /// What TarReader, GZipStream and ZstdSharp throw for bytes that are not a valid archive (TarReader also throws
    /// OverflowException, FormatException and ArgumentException for out-of-range header fields, NotSupportedException
    /// for entry types it cannot read, such as sparse files). Our own checks throw ModelPackException and the content
    /// stream its own types, so neither is caught here.
    /// </summary>
    private static bool IsMalformedArchive(Exception e) =>
        e is InvalidDataException or EndOfStreamException or ZstdException or OverflowException or FormatException or ArgumentException
            or NotSupportedException;

    private static string RawFilePath(OciDescriptor layer) =>
        FilePathAnnotation(layer) ?? layer.Annotation(ModelPackAnnotations.ImageTitle)
            ?? throw new ModelPackFormatException(
                $"raw layer {layer.Digest} has no '{ModelPackAnnotations.CncfFilePath}', '{ModelPackAnnotations.CnaiFilePath}' or '{ModelPackAnnotations.ImageTitle}' annotation to name its file");

    /// <summary>
    /// The annotation's mtime is kept; of its mode only "executable" is: the file ends 0444, or 0555 when the
    /// annotation has an execute bit (modctl packs scripts as raw layers too).
    /// </summary>
    private static void ApplyMetadata(string path, FileMetadata? metadata)
    {
        if (metadata?.Mtime is { } mtimeText && DateTimeOffset.TryParse(mtimeText, System.Globalization.CultureInfo.InvariantCulture, out var mtime))
        {
            File.SetLastWriteTimeUtc(path, mtime.UtcDateTime);
        }

        ModelFiles.SealFile(path, metadata?.Mode is { } mode && ModelFiles.IsExecutable(mode));
    }

    private static async Task<UnpackResult> UnpackRawAsync(Stream content, OciDescriptor layer, ModelRootWriter writer, CancellationToken cancellationToken)
    {
        var filePath = RawFilePath(layer);
        var metadata = FileMetadataAnnotation(layer);
        var parts = writer.Normalize(filePath);
        var path = writer.PrepareLeaf(filePath, parts);
        long written;
        try
        {
            await using (var file = ModelFiles.CreateFile(path))
            {
                var limited = new LimitedReadStream(content, layer.Size, read => writer.Unsafe(
                    filePath, ArchiveRule.LayerLargerThanDescriptor, $"raw layer has more than the descriptor's {layer.Size} bytes"));
                await limited.CopyToAsync(file, CopyBufferSize, cancellationToken);
                written = limited.BytesRead;
            }

            if (written != layer.Size)
            {
                throw new ModelPackFormatException($"raw layer {layer.Digest} has {written} bytes, the descriptor says {layer.Size}");
            }

            ApplyMetadata(path, metadata);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        writer.SealDirectories();
        return new UnpackResult(1, written);
    }

    private async Task<UnpackResult> UnpackCompressedAsync(
        Stream content, Stream decompressor, OciDescriptor layer, ModelRootWriter writer, UnpackLimits limits, CancellationToken cancellationToken)
    {
        await using (decompressor)
        {
            var expanded = new LimitedReadStream(decompressor, limits.MaxExpandedBytes, read =>
                new ExpansionLimitExceededException(layer.Digest, limits.MaxExpandedBytes, read));
            return await UnpackTarAsync(expanded, content, layer, writer, limits, limits.MaxExpandedBytes, cancellationToken);
        }
    }

    /// <param name="tar">The uncompressed tar stream.</param>
    /// <param name="content">The layer's blob stream, drained to its end after the tar.</param>
    /// <param name="maxFileBytes">Bound on the sum of entry sizes.</param>
    /// <param name="resumable">For a plain tar in the cache: where checkpoints go and the stream that knows its resume points.</param>
    private async Task<UnpackResult> UnpackTarAsync(
        Stream tar, Stream content, OciDescriptor layer, ModelRootWriter writer, UnpackLimits limits, long maxFileBytes, CancellationToken cancellationToken,
        (TarCheckpointer Checkpoints, RingReadStream Stream)? resumable = null)
    {
        var metadata = FileMetadataAnnotation(layer);
        // Past the bound: the descriptor lied (plain tar), the metadata lied, or the layer does not fit the budget.
        ArchiveRule? sizeRule = tar == content ? ArchiveRule.LayerLargerThanDescriptor : null;
        // Only a metadata annotation that explicitly describes one regular file bounds the contents;
        // KitOps describes directories, whose size says nothing about the tree.
        if (metadata is { Size: { } metadataSize, Typeflag: 0 or '0' } && metadataSize >= 0 && metadataSize < maxFileBytes)
        {
            maxFileBytes = metadataSize;
            sizeRule = ArchiveRule.ExpandedSizeLimit;
        }

        var annotatedPath = FilePathAnnotation(layer);
        var annotatedParts = annotatedPath is null ? null : writer.Normalize(annotatedPath);
        var state = new TarLayerExtraction(writer, layer.Digest);
        var directories = new List<(string Path, DateTimeOffset Mtime)>();
        var entries = 0;
        long declaredBytes = 0;
        var checkpoints = resumable?.Checkpoints;
        if (checkpoints?.Resume is { } resume)
        {
            entries = resume.Entries;
            declaredBytes = resume.DeclaredBytes;
            state.Restore(resume.RegularEntries, resume.FilesWritten, resume.BytesWritten);
            var (created, directoryEntries) = checkpoints.ReadJournal();
            checkpoints.Prune(created, writer.Adopt, state.AdoptRegularFile);
            directories.AddRange(directoryEntries.Select(d => (Path.Join(checkpoints.Tree, d.Path), d.Mtime)));
            Log.ResumingTarLayer(_logger, layer.Digest, resume.Offset, resume.Entries, resume.LastEntry ?? "");
            // The checkpoint is at the end of an entry's data; the tar reader starts at the next header.
            await SkipAsync(tar, (512 - resume.Offset % 512) % 512, cancellationToken);
        }

        await using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var afterHeader = resumable?.Stream.Position ?? 0;
                if (++entries > limits.MaxEntries)
                {
                    throw writer.Unsafe(entry.Name, ArchiveRule.EntryCountLimit, $"layer has more than {limits.MaxEntries} entries");
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        declaredBytes += entry.Length;
                        if (declaredBytes > maxFileBytes)
                        {
                            throw sizeRule is { } rule
                                ? writer.Unsafe(entry.Name, rule, $"entries total {declaredBytes} bytes, more than the {maxFileBytes} allowed")
                                : new ExpansionLimitExceededException(layer.Digest, limits.MaxExpandedBytes, declaredBytes);
                        }

                        await state.WriteFileAsync(entry, annotatedParts, _logger, cancellationToken);
                        break;
                    case TarEntryType.Directory:
                        var parts = writer.Normalize(entry.Name);
                        var directory = writer.PrepareDirectoryAt(entry.Name, parts);
                        if (parts.Count > 0)
                        {
                            directories.Add((directory, entry.ModificationTime));
                            checkpoints?.DirectoryEntry(string.Join('/', parts), entry.ModificationTime);
                        }

                        break;
                    case TarEntryType.SymbolicLink:
                        state.WriteSymlink(entry);
                        break;
                    case TarEntryType.HardLink:
                        state.WriteHardLink(entry);
                        break;
                    case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                        throw writer.Unsafe(entry.Name, ArchiveRule.DeviceOrFifo, $"{entry.EntryType} entries are not allowed in a model");
                    case TarEntryType.GlobalExtendedAttributes:
                        Log.SkippedTarEntry(_logger, entry.Name, entry.EntryType.ToString(), layer.Digest);
                        break;
                    default:
                        throw writer.Unsafe(entry.Name, ArchiveRule.UnsupportedEntryType, $"{entry.EntryType} entries are not supported");
                }

                // Only where the stream stands at the end of this entry's data (a file's was copied; other entries have none).
                // The digest vouches for the bytes, not for where entries start: a resume offset that were not an entry's
                // end could parse file data as headers. So a checkpoint is only taken where the stream visibly stands
                // at the end of this entry: its header ended on a block boundary and exactly its data was read since.
                if (resumable is { } r && (entry.Length == 0 || entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
                    && afterHeader % 512 == 0 && r.Stream.Position == afterHeader + entry.Length
                    && state.CanCheckpoint && r.Checkpoints.Due(r.Stream.Position))
                {
                    var point = await r.Stream.ResumePointAsync(cancellationToken);
                    r.Checkpoints.Write(new TarCheckpoint
                    {
                        Digest = layer.Digest,
                        Offset = point.Offset,
                        HashState = Convert.ToBase64String(point.HashState),
                        Entries = entries,
                        RegularEntries = state.RegularEntries,
                        FilesWritten = state.FilesWritten,
                        BytesWritten = state.BytesWritten,
                        DeclaredBytes = declaredBytes,
                        LastEntry = ValueExcerpt.Of(entry.Name, 200),
                    });
                    Log.TarCheckpoint(_logger, layer.Digest, point.Offset, entries);
                }
            }
        }

        // Trailing zero blocks and record padding come after the end-of-archive marker; the digest
        // check only happens once the blob has been read to its very end.
        await DrainAsync(tar, cancellationToken);
        if (tar != content)
        {
            await DrainAsync(content, cancellationToken);
        }

        // After all files: writing into a directory would reset its mtime. The entries' modes are not used:
        // every directory ends 0555 (see ModelRootWriter).
        foreach (var (path, mtime) in directories)
        {
            Directory.SetLastWriteTimeUtc(path, mtime.UtcDateTime);
        }

        writer.SealDirectories();
        return new UnpackResult(state.FilesWritten, state.BytesWritten);
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[512];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the tar ended inside the padding after a checkpoint");
            }

            count -= read;
        }
    }

    private static async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (await stream.ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    private static string? FilePathAnnotation(OciDescriptor layer) =>
        layer.Annotation(ModelPackAnnotations.CncfFilePath) ?? layer.Annotation(ModelPackAnnotations.CnaiFilePath);

    private static FileMetadata? FileMetadataAnnotation(OciDescriptor layer) =>
        ModelPackJson.ReadFileMetadata(
            layer.Annotation(ModelPackAnnotations.CncfFileMetadata) ?? layer.Annotation(ModelPackAnnotations.CnaiFileMetadata),
            layer.Digest);
}
