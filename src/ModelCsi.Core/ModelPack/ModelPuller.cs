using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Pulls a model artifact into a directory (the CLI's <c>pull</c>) through the same pipeline the node plugin
/// uses: a throw-away store next to the destination is filled and verified, then the finished model directory
/// is renamed into place. On any failure the store is removed and the destination is left as it was.
/// </summary>
/// <param name="verifier">Signature policy checked after the digest is resolved, before any layer is fetched; null for none.</param>
public sealed class ModelPuller(ILogger<ModelPuller>? logger = null, LayerUnpacker? unpacker = null, IModelSignatureVerifier? verifier = null)
{
    private const string TempMarker = ".modelcsi-pull-";

    // Stopped downloads end within moments; the bound only keeps a stuck filesystem from hanging the CLI.
    private static readonly TimeSpan StagingDrainTimeout = TimeSpan.FromSeconds(30);
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
        ModelStore? store = null;
        try
        {
            store = new ModelStore(
                Options.Create(new ModelCacheOptions { RootDirectory = staging, MaxParallelLayers = options.MaxParallelLayers, ReconcileAtStart = false, ReservedFreeBytes = 0 }),
                TimeProvider.System,
                _logger);
            using var pipeline = new PullPipeline(store, registry: null, _unpacker, _logger, verifier: verifier);
            var observer = new TransferProgressObserver(model.TotalLayerBytes, model.Manifest.Layers.Count, progress);
            var handle = await pipeline.AcquireAsync(repository, model, new ModelRequest(model.Reference.ToString()) { Observer = observer }, cancellationToken);

            // Checked again: something may have appeared at the destination during a long download.
            CheckDestination(destination, target);
            if (Directory.Exists(target))
            {
                Directory.Delete(target);
            }

            // The model directory holds hard links into the store's blobs and layers: it keeps its files when the store goes.
            Directory.Move(handle.ModelPath, target);
            var (files, written) = CountFiles(target);
            Log.PullCompleted(_logger, model.Reference.ToString(), model.ManifestDigest, files, written, target);
            return new PullResult(model, target, files, written, observer.BytesDownloaded);
        }
        catch (ModelPullException e) when (e.InnerException is IClassifiedFailure)
        {
            // The pipeline's context (reference and step) is what the CLI prints around it anyway; callers of a
            // directory pull get the failure itself, as they always have.
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        finally
        {
            // The pipeline is stopped (disposed) by now; layer downloads that a failed pull stopped waiting for
            // end soon after, and must end before their directories can be removed.
            if (store is not null)
            {
                await WaitForDownloadsAsync(store);
            }

            RemoveStaging(staging);
        }
    }

    private static (int Files, long Bytes) CountFiles(string root)
    {
        var files = 0;
        long bytes = 0;
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            files++;
            bytes += file.Length;
        }

        return (files, bytes);
    }

    private static void CheckDestination(string given, string target)
    {
        switch (ModelFiles.Kind(target))
        {
            case PathKind.Missing:
                return;
            case PathKind.Directory:
                if (Directory.EnumerateFileSystemEntries(target).Any())
                {
                    throw new DestinationNotEmptyException(given, "is not empty");
                }

                return;
            case PathKind.Symlink:
                throw new DestinationNotEmptyException(given, "is a symlink");
            default:
                throw new DestinationNotEmptyException(given, "exists and is not a directory");
        }
    }

    private async Task WaitForDownloadsAsync(ModelStore store)
    {
        try
        {
            await store.Downloads.WhenIdleAsync().WaitAsync(StagingDrainTimeout);
        }
        catch (TimeoutException)
        {
            Log.StagingNotRemoved(_logger, store.Layout.Root, $"layer downloads still running after {StagingDrainTimeout}");
        }
    }

    private void RemoveStaging(string staging)
    {
        if (!Directory.Exists(staging))
        {
            return;
        }

        try
        {
            // Cached layers are read-only; undo that so the tree can be removed.
            foreach (var directory in Directory.EnumerateDirectories(staging, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                ModelFiles.SetMode(directory, ModelFiles.DefaultDirectoryMode);
            }

            Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StagingNotRemoved(_logger, staging, e.Message);
        }
    }
}
