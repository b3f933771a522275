using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mono.Unix.Native;
using ModelCsi.Core.Oci;
using ZstdSharp;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Turns a directory into a ModelPack artifact, reproducibly: files in ordinal order of their '/'-separated
/// relative path, one layer per file, constant owner and mtime, deterministic compression and JSON, so the
/// same bytes always give the same manifest digest whatever the files' owners and times on disk.
/// Symlinks and special files are not packed (reported in <see cref="PackedModel.SkippedEntries"/>).
/// </summary>
public sealed class ModelPacker(ILogger<ModelPacker>? logger = null)
{
    // zstd level 3 is zstd's own default; fixed here so an upgrade of the default cannot change digests.
    private const int ZstdLevel = 3;
    private const UnixFileMode ExecutableMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode RegularMode = (UnixFileMode)0b110_100_100;
    private readonly ILogger _logger = logger ?? NullLogger<ModelPacker>.Instance;

    /// <param name="sourceDirectory">The model directory.</param>
    /// <param name="workDirectory">Where tar layers are written; the caller owns it and removes it after pushing.</param>
    public async Task<PackedModel> PackAsync(
        string sourceDirectory, string workDirectory, PackOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PackOptions();
        if (options.Family == ArtifactFamily.KitOps)
        {
            throw new ArgumentException("packing KitOps ModelKits is not supported; use Cncf or Cnai", nameof(options));
        }

        var root = Path.GetFullPath(sourceDirectory);
        if (ModelFiles.Kind(root) != PathKind.Directory)
        {
            throw new DirectoryNotFoundException($"'{sourceDirectory}' is not a directory");
        }

        Directory.CreateDirectory(workDirectory);
        var skipped = new List<string>();
        var files = new List<string>();
        Walk(root, string.Empty, files, skipped);
        files.Sort(StringComparer.Ordinal);
        if (files.Count == 0)
        {
            throw new ModelPackFormatException($"'{sourceDirectory}' holds no regular files to pack");
        }

        var mtime = DateTimeOffset.FromUnixTimeSeconds(options.SourceDateEpoch);
        var layers = new List<PackedBlob>(files.Count);
        var diffIds = new List<string>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            var (blob, diffId) = await PackFileAsync(root, files[i], i, workDirectory, options, mtime, cancellationToken);
            layers.Add(blob);
            diffIds.Add(diffId);
        }

        var config = new ModelConfig
        {
            Descriptor = (options.Descriptor ?? new ModelDescriptor()) is var descriptor && descriptor.CreatedAt is null
                ? descriptor with { CreatedAt = FormatTime(mtime) }
                : descriptor,
            Config = options.Config ?? new ModelProperties(),
            ModelFs = options.Family == ArtifactFamily.Cnai
                ? new ModelFs { Type = ModelFs.LayersType, DiffIdsSnakeCase = diffIds }
                : new ModelFs { Type = ModelFs.LayersType, DiffIds = diffIds },
        };
        var configBytes = ModelPackJson.WriteConfig(config);
        var manifest = new OciManifest
        {
            SchemaVersion = 2,
            MediaType = OciMediaTypes.ImageManifest,
            ArtifactType = ModelPackMediaTypes.ManifestArtifactType(options.Family),
            Config = new OciDescriptor
            {
                MediaType = ModelPackMediaTypes.ConfigMediaType(options.Family),
                Digest = Digest.Of(configBytes),
                Size = configBytes.Length,
            },
            Layers = layers.Select(layer => layer.Descriptor).ToList(),
        };
        var manifestBytes = ModelPackJson.WriteManifest(manifest);
        return new PackedModel
        {
            ManifestBytes = manifestBytes,
            ManifestDigest = Digest.Of(manifestBytes),
            Manifest = manifest,
            ConfigBytes = configBytes,
            Layers = layers,
            SkippedEntries = skipped,
        };
    }

    private void Walk(string directory, string relative, List<string> files, List<string> skipped)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(directory))
        {
            var name = Path.GetFileName(path);
            var relativePath = relative.Length == 0 ? name : relative + "/" + name;
            switch (ModelFiles.Kind(path))
            {
                case PathKind.Directory:
                    Walk(path, relativePath, files, skipped);
                    break;
                case PathKind.Regular:
                    files.Add(relativePath);
                    break;
                case PathKind.Symlink:
                    Skip(relativePath, "symlinks are not packed; copy the target into the directory instead", skipped);
                    break;
                case PathKind.Missing:
                    break;
                default:
                    Skip(relativePath, "not a regular file (socket, fifo or device)", skipped);
                    break;
            }
        }
    }

    private void Skip(string relativePath, string reason, List<string> skipped)
    {
        Log.SkippedSourceEntry(_logger, relativePath, reason);
        skipped.Add($"{relativePath}: {reason}");
    }

    private static async Task<(PackedBlob Blob, string DiffId)> PackFileAsync(
        string root, string relativePath, int index, string workDirectory, PackOptions options, DateTimeOffset mtime, CancellationToken cancellationToken)
    {
        var sourcePath = Path.Join(root, relativePath);
        var kind = ModelFileClassifier.Classify(relativePath);
        var form = options.FormFor(kind);
        var mediaType = new LayerMediaType(options.Family, kind, form);
        var mode = ModeOf(sourcePath);
        var size = new FileInfo(sourcePath).Length;

        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ModelPackAnnotations.FilePath(options.Family)] = relativePath,
            [ModelPackAnnotations.FileMetadata(options.Family)] = ModelPackJson.WriteFileMetadata(new FileMetadata
            {
                Name = Path.GetFileName(relativePath),
                Mode = (long)mode,
                Uid = 0,
                Gid = 0,
                Size = size,
                Mtime = FormatTime(mtime),
                Typeflag = 0,
            }),
            [ModelPackAnnotations.MediaTypeUntested(options.Family)] = "true",
        };

        if (form == LayerForm.Raw)
        {
            // CRI-O and Podman name a raw layer's file by its title.
            annotations[ModelPackAnnotations.ImageTitle] = relativePath;
            var digest = await Digest.OfFileAsync(sourcePath, cancellationToken);
            var descriptor = new OciDescriptor { MediaType = mediaType.ToString(), Digest = digest, Size = size, Annotations = annotations };
            return (new PackedBlob(descriptor, sourcePath, relativePath), digest);
        }

        var blobPath = Path.Join(workDirectory, $"layer-{index:D5}{Extension(form)}");
        string diffId;
        string blobDigest;
        long blobSize;
        await using (var output = new FileStream(blobPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
        await using (var blobHash = new HashingWriteStream(output))
        {
            Stream? compressor = form switch
            {
                LayerForm.TarGzip => new GZipStream(blobHash, CompressionLevel.Optimal, leaveOpen: true),
                LayerForm.TarZstd => new CompressionStream(blobHash, ZstdLevel, leaveOpen: true),
                _ => null,
            };
            await using (compressor)
            {
                await using var tarHash = compressor is null ? null : new HashingWriteStream(compressor);
                await WriteTarAsync(tarHash ?? (Stream)blobHash, sourcePath, relativePath, mode, mtime, cancellationToken);
                diffId = (tarHash ?? blobHash).Digest();
            }

            await blobHash.FlushAsync(cancellationToken);
            blobDigest = blobHash.Digest();
            blobSize = blobHash.BytesWritten;
        }

        var tarDescriptor = new OciDescriptor { MediaType = mediaType.ToString(), Digest = blobDigest, Size = blobSize, Annotations = annotations };
        return (new PackedBlob(tarDescriptor, blobPath, relativePath), diffId);
    }

    private static async Task WriteTarAsync(
        Stream destination, string sourcePath, string relativePath, UnixFileMode mode, DateTimeOffset mtime, CancellationToken cancellationToken)
    {
        await using var source = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, relativePath)
        {
            Mode = mode,
            Uid = 0,
            Gid = 0,
            UserName = string.Empty,
            GroupName = string.Empty,
            ModificationTime = mtime,
            DataStream = source,
        };
        await writer.WriteEntryAsync(entry, cancellationToken);
    }

    private static UnixFileMode ModeOf(string path)
    {
        if (Syscall.stat(path, out var stat) != 0)
        {
            throw new IOException($"stat '{path}' failed: {Stdlib.GetLastError()}");
        }

        // Only the exec bit carries meaning across machines; the rest is normalised for reproducibility.
        const FilePermissions anyExecute = FilePermissions.S_IXUSR | FilePermissions.S_IXGRP | FilePermissions.S_IXOTH;
        return (stat.st_mode & anyExecute) != 0 ? ExecutableMode : RegularMode;
    }

    private static string Extension(LayerForm form) => form switch
    {
        LayerForm.TarGzip => ".tar.gz",
        LayerForm.TarZstd => ".tar.zst",
        _ => ".tar",
    };

    private static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
