using System.Buffers;
using System.Formats.Tar;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// The per-layer state of extracting a tar: which regular files this layer wrote (hardlinks may only
/// point at those) and the AIKit basename placement, which is undone if a second file shows up.
/// </summary>
internal sealed class TarLayerExtraction(ModelRootWriter writer, string layerDigest)
{
    private const int CopyBufferSize = 1 << 20;

    // Entry name (normalised) -> where that entry's file actually is below the root.
    private readonly Dictionary<string, IReadOnlyList<string>> _regularFiles = new(StringComparer.Ordinal);
    private (string EntryName, IReadOnlyList<string> EntryParts, IReadOnlyList<string> PlacedAt)? _placedAtAnnotation;
    private int _regularEntries;

    public int FilesWritten { get; private set; }

    public int RegularEntries => _regularEntries;

    /// <summary>False while a lone file sits at the annotation's path: whether it stays there depends on entries to come, which a checkpoint cannot record.</summary>
    public bool CanCheckpoint => _placedAtAnnotation is null;

    public long BytesWritten { get; private set; }

    public async Task WriteFileAsync(TarEntry entry, IReadOnlyList<string>? annotatedParts, ILogger logger, CancellationToken cancellationToken)
    {
        var parts = writer.Normalize(entry.Name);
        var target = parts;
        _regularEntries++;
        if (_placedAtAnnotation is not null)
        {
            // The quirk only applies to a tar holding exactly one file; with two, names mean what they say.
            MovePlacedFileBack();
        }
        else if (_regularEntries == 1 && annotatedParts is { Count: > 1 } && parts.Count == 1
            && string.Equals(parts[0], annotatedParts[^1], StringComparison.Ordinal))
        {
            // AIKit writes the weight's basename into the tar while the annotation holds its full path.
            target = annotatedParts;
            _placedAtAnnotation = (entry.Name, parts, annotatedParts);
            Log.PlacedAtAnnotatedPath(logger, layerDigest, entry.Name, string.Join('/', annotatedParts));
        }

        // Relative to the open directory handle: no path is resolved from the root again, and the mode, mtime and
        // owner are set on the open file. About six system calls per small file.
        var leaf = writer.PrepareLeafAt(entry.Name, target);
        var fd = writer.CreateFileAt(entry.Name, leaf);
        try
        {
            if (entry.DataStream is { } data)
            {
                await CopyAsync(data, fd, cancellationToken);
            }

            ModelFiles.FinishFile(fd, leaf.Path, entry.ModificationTime, ModelFiles.IsExecutable((long)entry.Mode));
        }
        catch
        {
            File.Delete(leaf.Path);
            throw;
        }
        finally
        {
            _ = LibcAt.Close(fd);
        }

        _regularFiles[Key(parts)] = target;
        FilesWritten++;
        BytesWritten += entry.Length;
    }

    public void WriteSymlink(TarEntry entry)
    {
        var parts = writer.Normalize(entry.Name);
        writer.CheckSymlinkTarget(entry.Name, parts, entry.LinkName);
        writer.SymlinkAt(entry.Name, writer.PrepareLeafAt(entry.Name, parts), entry.LinkName);
        _regularFiles.Remove(Key(parts));
    }

    public void WriteHardLink(TarEntry entry)
    {
        var parts = writer.Normalize(entry.Name);
        var targetParts = writer.Normalize(entry.LinkName, ArchiveRule.HardlinkEscapesRoot);
        if (!_regularFiles.TryGetValue(Key(targetParts), out var actual)
            || ModelFiles.Kind(writer.FullPath(actual)) != PathKind.Regular)
        {
            throw writer.Unsafe(entry.Name, ArchiveRule.HardlinkTargetNotExtracted, $"hardlink target '{entry.LinkName}' is not a regular file extracted earlier from this layer");
        }

        if (Key(parts) == Key(actual))
        {
            return;
        }

        var path = writer.PrepareLeaf(entry.Name, parts);
        ModelFiles.HardLink(writer.FullPath(actual), path);
        _regularFiles[Key(parts)] = parts;
        FilesWritten++;
    }

    /// <summary>Continues the counters of a checkpoint (resuming).</summary>
    public void Restore(int regularEntries, int filesWritten, long bytesWritten)
    {
        _regularEntries = regularEntries;
        FilesWritten = filesWritten;
        BytesWritten = bytesWritten;
    }

    /// <summary>
    /// Takes a regular file the checkpointed part of this layer extracted as a hardlink target (resuming). In the
    /// layer's own tree the file at a path is the one its entry wrote there: no lone file was placed elsewhere at
    /// a checkpoint (see <see cref="CanCheckpoint"/>).
    /// </summary>
    public void AdoptRegularFile(string relativePath) => _regularFiles[relativePath] = relativePath.Split('/');

    private static async Task CopyAsync(Stream data, int fd, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await data.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken)) > 0)
            {
                LibcAt.WriteAll(fd, buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void MovePlacedFileBack()
    {
        var (entryName, entryParts, placedAt) = _placedAtAnnotation!.Value;
        _placedAtAnnotation = null;
        var destination = writer.PrepareLeaf(entryName, entryParts);
        File.Move(writer.FullPath(placedAt), destination);
        _regularFiles[Key(entryParts)] = entryParts;
    }

    private static string Key(IReadOnlyList<string> parts) => string.Join('/', parts);
}
