using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Pulls a model artifact into a directory. Layers are downloaded in parallel, each streamed once through
/// a digest check straight into the unpacker (no blob is ever stored whole), into a temp directory next to
/// the destination that is renamed into place only after every layer verified. On any failure the temp
/// directory is removed and the destination is left as it was.
/// </summary>
public sealed class ModelPuller(ILogger<ModelPuller>? logger = null, LayerUnpacker? unpacker = null)
{
    private const string TempMarker = ".modelcsi-pull-";
    private readonly ILogger _logger = logger ?? NullLogger<ModelPuller>.Instance;
    private readonly LayerUnpacker _unpacker = unpacker ?? new LayerUnpacker();

    /// <param name="repository">The repository client; its reference's tag or digest is pulled.</param>
    /// <param name="destination">A directory that does not exist yet or is empty.</param>
    /// <exception cref="DestinationNotEmptyException">The destination has content or is not a directory.</exception>
    public async Task<PullResult> PullAsync(
        RepositoryClient repository,
        string destination,
        PullOptions? options = null,
        IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        options ??= new PullOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxParallelLayers, 1, nameof(options));
        var target = Path.GetFullPath(destination).TrimEnd('/');
        CheckDestination(destination, target);

        var model = await ModelResolver.ResolveAsync(repository, cancellationToken);
        var parent = Path.GetDirectoryName(target) ?? throw new DestinationNotEmptyException(destination, "is the filesystem root");
        Directory.CreateDirectory(parent);
        var staging = Path.Join(parent, "." + Path.GetFileName(target) + TempMarker + Guid.NewGuid().ToString("N")[..12]);
        ModelRootWriter.MakeDirectory(staging);
        Log.PullStarted(_logger, model.Reference.ToString(), model.ManifestDigest, model.Manifest.Layers.Count, model.TotalLayerBytes, staging);

        var tally = new TransferTally(model.TotalLayerBytes, model.Manifest.Layers.Count, progress);
        var files = 0;
        long written = 0;
        try
        {
            tally.Start();
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelLayers, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(model.Artifact.Layers, parallel, async (layer, token) =>
            {
                var result = await PullLayerAsync(repository, model, layer.Descriptor, staging, options.Limits, tally, token);
                Interlocked.Add(ref files, result.FilesWritten);
                Interlocked.Add(ref written, result.BytesWritten);
            });

            // Checked again: something may have appeared at the destination during a long download.
            CheckDestination(destination, target);
            if (Directory.Exists(target))
            {
                Directory.Delete(target);
            }

            Directory.Move(staging, target);
        }
        catch
        {
            RemoveStaging(staging);
            throw;
        }

        Log.PullCompleted(_logger, model.Reference.ToString(), model.ManifestDigest, files, written, target);
        return new PullResult(model, target, files, written, tally.Bytes);
    }

    private async Task<UnpackResult> PullLayerAsync(
        RepositoryClient repository, ResolvedModel model, OciDescriptor layer, string root, UnpackLimits limits, TransferTally tally, CancellationToken cancellationToken)
    {
        var context = $"layer {layer.Digest} of {model.Reference}";
        await using var blob = await repository.OpenBlobAsync(layer, 0, cancellationToken);
        await using var verifying = new DigestVerifyingStream(blob, layer, leaveOpen: true);
        await using var counted = new CountingReadStream(verifying, tally.AddBytes, leaveOpen: true);
        UnpackResult result;
        try
        {
            result = await _unpacker.UnpackAsync(counted, layer, root, limits, cancellationToken);
            // The unpacker reads to the end, which is where the digest is checked; make sure of it.
            await DrainAsync(counted, cancellationToken);
        }
        catch (DigestMismatchException mismatch)
        {
            throw WithContext(mismatch, context);
        }
        catch (Exception e) when (e is not OperationCanceledException and not RegistryException && !verifying.Verified)
        {
            // A corrupted blob usually breaks the archive format before its end is reached; the digest is
            // the real cause then, so read on to it rather than report a confusing archive error.
            Log.CheckingDigestAfterUnpackFailure(_logger, layer.Digest, e.Message);
            try
            {
                await DrainAsync(counted, cancellationToken);
            }
            catch (DigestMismatchException mismatch)
            {
                throw WithContext(mismatch, context);
            }

            throw;
        }

        if (!verifying.Verified)
        {
            throw new DigestMismatchException(layer.Digest, layer.Size, "(not read to the end)", verifying.BytesHashed, context);
        }

        tally.CompleteLayer(layer);
        return result;
    }

    private static DigestMismatchException WithContext(DigestMismatchException e, string context) =>
        new(e.ExpectedDigest, e.ExpectedSize, e.ActualDigest, e.ActualSize, context);

    private static async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        while (await stream.ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    private static void CheckDestination(string given, string target)
    {
        switch (ModelRootWriter.Kind(target))
        {
            case ModelRootWriter.PathKind.Missing:
                return;
            case ModelRootWriter.PathKind.Directory:
                if (Directory.EnumerateFileSystemEntries(target).Any())
                {
                    throw new DestinationNotEmptyException(given, "is not empty");
                }

                return;
            case ModelRootWriter.PathKind.Symlink:
                throw new DestinationNotEmptyException(given, "is a symlink");
            default:
                throw new DestinationNotEmptyException(given, "exists and is not a directory");
        }
    }

    private void RemoveStaging(string staging)
    {
        try
        {
            // Tar layers may have made directories read-only; undo that so the tree can be removed.
            foreach (var directory in Directory.EnumerateDirectories(staging, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                ModelRootWriter.SetMode(directory, ModelRootWriter.DefaultDirectoryMode);
            }

            Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StagingNotRemoved(_logger, staging, e.Message);
        }
    }
}
