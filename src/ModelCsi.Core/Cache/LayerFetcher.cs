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
        // the layer's files, written once. A plain tar layer cut by a crash or kill continues from its last
        // checkpoint (see TarCheckpointer). A compressed one starts again from byte 0: resuming it would need
        // the decompressor's state (a gzip window, zstd's frame state), which neither library can save. A
        // partial file left by an older version that did keep copies is useless now and is dropped.
        File.Delete(_layout.PartialBlob(layer.Digest));
        if (LayerMediaType.TryParse(layer.MediaType, out var mediaType) && mediaType.Form == LayerForm.Tar)
        {
            await UnpackPlainTarLayerAsync(repository, layer, final, totals, cancellationToken);
            return true;
        }

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
            // No walk of the tree here: the unpacker left every file 0444 or 0555 and every directory 0555 (readable by all).
            OpenToAll(work);
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

    /// <summary>
    /// A plain tar layer, extracted under <c>layers/&lt;key&gt;.partial/</c> with checkpoints; resumed from the last
    /// one when an earlier attempt left it. A resumed attempt that ends in a digest mismatch or an archive error
    /// (the checkpoint or the tree may be what was wrong) is discarded and the layer fetched once more from byte 0.
    /// </summary>
    private async Task UnpackPlainTarLayerAsync(RepositoryClient repository, OciDescriptor layer, string final, PullTotals totals, CancellationToken cancellationToken)
    {
        var partial = _layout.PartialLayer(LayerContent.LayerKey(layer));
        var limits = UnpackLimits.Default with { MaxExpandedBytes = Math.Max(0, Math.Min(UnpackLimits.Default.MaxExpandedBytes, totals.ExpansionBudget)) };
        UnpackResult result;
        string tree;
        var checkpoints = TarCheckpointer.Open(partial, layer, store.Options.Fetch.TarCheckpointInterval, store.FileSync);
        try
        {
            try
            {
                result = await ExtractPlainTarAsync(repository, layer, checkpoints, limits, totals, cancellationToken);
            }
            catch (Exception e) when (checkpoints.Resume is not null && e is DigestMismatchException or (ModelPackException and not ExpansionLimitExceededException))
            {
                Log.TarResumeFailed(store.Logger, layer.Digest, checkpoints.Resume.Offset, e.Message);
                checkpoints.Dispose();
                TarCheckpointer.Discard(partial);
                store.ContentDiscarded(partial);
                checkpoints = TarCheckpointer.Open(partial, layer, store.Options.Fetch.TarCheckpointInterval, store.FileSync);
                result = await ExtractPlainTarAsync(repository, layer, checkpoints, limits, totals, cancellationToken);
            }

            tree = checkpoints.Tree;
        }
        catch (Exception e) when (e is DigestMismatchException or ModelPackException)
        {
            // What is there came from bytes that do not verify or do not extract: nothing to resume from.
            checkpoints.Dispose();
            TarCheckpointer.Discard(partial);
            store.ContentDiscarded(partial);
            throw;
        }
        finally
        {
            checkpoints.Dispose();
        }

        totals.SpendExpansion(result.BytesWritten);
        // No walk of the tree here: the unpacker left every file 0444 or 0555 and every directory 0555 (readable by all).
        OpenToAll(tree);
        store.FileSync.SyncFileSystem(_layout.Root);
        Directory.Move(tree, final);
        store.FileSync.SyncDirectory(_layout.Layers);
        store.ContentAdded(final, result.BytesWritten, replaces: partial);
        // The layer is in place: its checkpoint and journal are of no more use.
        TarCheckpointer.Discard(partial);
        Log.LayerCached(store.Logger, layer.Digest, layer.MediaType, layer.Size);
    }

    private async Task<UnpackResult> ExtractPlainTarAsync(RepositoryClient repository, OciDescriptor layer, TarCheckpointer checkpoints, UnpackLimits limits,
        PullTotals totals, CancellationToken cancellationToken)
    {
        UnpackResult? result = null;
        try
        {
            await _fetcher.FetchToResumableConsumerAsync(
                Source(repository, layer),
                layer,
                checkpoints.ResumePoint,
                async (stream, token) => result = await unpacker.UnpackResumableTarAsync(stream, layer, checkpoints, limits, token),
                totals.NewTally(),
                cancellationToken);
        }
        catch (ModelPackException format) when (format is not ExpansionLimitExceededException && checkpoints.Resume is null)
        {
            await ThrowIfCorruptAsync(repository, layer, format, cancellationToken);
            throw;
        }

        return result ?? throw new InvalidOperationException("the unpacker returned no result");
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

    /// <summary>The layer's top directory, which the unpacker does not seal: searchable by all, whatever the umask.</summary>
    private static void OpenToAll(string directory) =>
        File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserRead | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

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
