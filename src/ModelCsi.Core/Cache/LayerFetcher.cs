using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The fetch stage of the pull pipeline: downloads each layer once per node (however many pulls want it),
/// verifies it and puts it in the store: raw layers as blobs, tar layers unpacked under <c>layers/</c>.
/// Every byte is written once, by the <see cref="PipelinedBlobFetcher"/>, and is on disk before the layer
/// becomes visible: a layer in place is complete after a power loss too, so the model record that names it
/// (written after every layer) never points at empty files.
/// </summary>
internal sealed class LayerFetcher(ModelStore store, LayerUnpacker unpacker, CancellationToken lifetime)
{
    private readonly CacheLayout _layout = store.Layout;
    private readonly PipelinedBlobFetcher _fetcher = new(store.Options.Fetch, store.FileSync, logger: store.Logger);
    private readonly SingleFlight<string, bool> _layerPulls = new(lifetime);

    public async Task EnsureLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken)
    {
        if (LayerContent.IsRaw(layer))
        {
            await EnsureRawBlobAsync(repository, layer, totals, cancellationToken);
        }
        else
        {
            await _layerPulls.RunAsync(LayerContent.LayerKey(layer), token => CountedAsync(() => UnpackTarLayerAsync(repository, layer, totals, token), token), cancellationToken);
        }

        totals.LayerCompleted(layer);
    }

    public Task EnsureRawBlobAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, CancellationToken cancellationToken)
    {
        if (LooksIntact(_layout.Blob(blob.Digest), blob))
        {
            return Task.CompletedTask;
        }

        return _layerPulls.RunAsync(blob.Digest, token => CountedAsync(() => DownloadRawBlobAsync(repository, blob, totals, token), token), cancellationToken);
    }

    private async Task<bool> DownloadRawBlobAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, CancellationToken cancellationToken)
    {
        CheckDigest(blob);
        if (await IsIntactAsync(_layout.Blob(blob.Digest), blob, cancellationToken))
        {
            return true;
        }

        // Resumes with Range from whatever a killed attempt left in the partial file; returns once the
        // blob verified and its data is on disk (fdatasync). The rename is made durable by syncing blobs/.
        try
        {
            await _fetcher.FetchToFileAsync(Source(repository, blob), blob, _layout.PartialBlob(blob.Digest), totals.NewTally(), cancellationToken);
        }
        finally
        {
            // The store tracks the cache's size: a download that stopped short leaves its partial file this long.
            store.RefreshPartials([_layout.PartialBlob(blob.Digest)]);
        }

        File.Move(_layout.PartialBlob(blob.Digest), _layout.Blob(blob.Digest), overwrite: true);
        store.FileSync.SyncDirectory(_layout.Blobs);
        store.ContentAdded(_layout.Blob(blob.Digest), blob.Size, replaces: _layout.PartialBlob(blob.Digest));
        Log.LayerCached(store.Logger, blob.Digest, blob.MediaType, blob.Size);
        return true;
    }

    /// <summary>Runs one download counted in <see cref="ModelStore.Downloads"/>; one that starts after the pipeline stopped writes nothing.</summary>
    private async Task<bool> CountedAsync(Func<Task<bool>> download, CancellationToken cancellationToken)
    {
        store.Downloads.Enter();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await download();
        }
        finally
        {
            store.Downloads.Leave();
        }
    }

    private async Task<bool> UnpackTarLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken)
    {
        var final = _layout.Layer(LayerContent.LayerKey(layer));
        if (Directory.Exists(final))
        {
            return true;
        }

        CheckDigest(layer);
        // No copy of a tar blob is stored: its bytes go from the network through the unpacker straight into
        // the layer's files, written once. The price: a tar layer (plain or compressed) cut by a crash or
        // kill starts again from byte 0 on the next attempt; only raw layers resume with Range. A partial
        // file left by an older version that did keep copies is useless now and is dropped.
        File.Delete(_layout.PartialBlob(layer.Digest));
        var work = _layout.NewTempDirectory("layer");
        var limits = UnpackLimits.Default with { MaxExpandedBytes = Math.Max(0, Math.Min(UnpackLimits.Default.MaxExpandedBytes, totals.ExpansionBudget)) };
        long written = 0;
        try
        {
            try
            {
                await _fetcher.FetchToConsumerAsync(
                    Source(repository, layer),
                    layer,
                    async (stream, token) => written = (await unpacker.UnpackAsync(stream, layer, work, limits, token)).BytesWritten,
                    totals.NewTally(),
                    cancellationToken);
            }
            catch (ModelPackException format) when (format is not ExpansionLimitExceededException)
            {
                // A corrupted blob usually breaks the archive before its end, where the digest is checked: when the
                // bytes do not match their digest, that is the cause to report, not a confusing archive error.
                await ThrowIfCorruptAsync(repository, layer, format, cancellationToken);
                throw;
            }

            totals.SpendExpansion(written);
            ModelTreeLinker.MakeReadableByAll(work);
            // The unpacked files, their modes and directories reach the disk before the layer is renamed into
            // place: one syncfs for the whole tree instead of an fsync per file and a second walk of the tree.
            store.FileSync.SyncFileSystem(_layout.Root);
            Directory.Move(work, final);
            store.FileSync.SyncDirectory(_layout.Layers);
            store.ContentAdded(final, written);
            Log.LayerCached(store.Logger, layer.Digest, layer.MediaType, layer.Size);
            return true;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private async Task ThrowIfCorruptAsync(RepositoryClient repository, OciDescriptor layer, ModelPackException format, CancellationToken cancellationToken)
    {
        Log.CheckingDigestAfterFormatError(store.Logger, layer.Digest, format.Message);
        // Reading the whole blob through the digest check, discarding it: DigestMismatchException if it is corrupt.
        await _fetcher.FetchToConsumerAsync(
            Source(repository, layer),
            layer,
            (stream, token) => stream.CopyToAsync(Stream.Null, 1 << 20, token),
            tally: null,
            cancellationToken);
    }

    /// <summary>
    /// A cached blob is reused by digest without reading it only while nothing about it has changed that a
    /// writer other than this driver could have done: its size is the descriptor's and neither group nor others
    /// may write it (blobs are 0444 or 0555 once linked into a model; 0644 between download and assembly).
    /// </summary>
    private static bool LooksIntact(string path, OciDescriptor blob)
    {
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is null && info.Length == blob.Size
            && (info.UnixFileMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;
    }

    /// <summary>
    /// Whether a cached blob may be reused: one that looks changed is hashed again; if it still matches its
    /// digest it stays (with the write bits taken away), otherwise it is deleted, to be downloaded again. Models
    /// already linked to the old file keep it; only new links get the fresh copy.
    /// </summary>
    private async Task<bool> IsIntactAsync(string path, OciDescriptor blob, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return false;
        }
        if (LooksIntact(path, blob))
        {
            return true;
        }
        if (info.LinkTarget is null && info.Length == blob.Size)
        {
            string actual;
            await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                actual = Digest.Sha256Prefix + Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken));
            }
            if (string.Equals(actual, blob.Digest, StringComparison.Ordinal))
            {
                File.SetUnixFileMode(path, info.UnixFileMode & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
                return true;
            }
        }
        Log.CachedBlobChanged(store.Logger, blob.Digest);
        File.Delete(path);
        return false;
    }

    private static BlobSource Source(RepositoryClient repository, OciDescriptor blob) =>
        new((offset, token) => repository.OpenBlobAsync(blob, offset, token));

    private static void CheckDigest(OciDescriptor blob)
    {
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new UnsupportedLayerException(blob.Digest, blob.MediaType);
        }
    }
}
