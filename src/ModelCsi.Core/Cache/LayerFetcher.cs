using Microsoft.Extensions.Logging;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The fetch stage of the pull pipeline: downloads each layer once per node (however many pulls want it),
/// verifies it and puts it in the store: raw layers as blobs, tar layers unpacked under <c>layers/</c>.
/// </summary>
internal sealed class LayerFetcher(ModelStore store, LayerUnpacker unpacker, CancellationToken lifetime)
{
    // Large reads keep per-call overhead (hashing, the partial file's writes, the stall timer) off the hot path.
    private const int CopyBufferSize = 1 << 20;

    private readonly CacheLayout _layout = store.Layout;
    private readonly SingleFlight<string, bool> _layerPulls = new(lifetime);

    public async Task EnsureLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken)
    {
        if (LayerContent.IsRaw(layer))
        {
            await EnsureRawBlobAsync(repository, layer, totals, cancellationToken);
        }
        else
        {
            await _layerPulls.RunAsync(LayerContent.LayerKey(layer), token => UnpackTarLayerAsync(repository, layer, totals, token), cancellationToken);
        }

        totals.LayerCompleted(layer);
    }

    public Task EnsureRawBlobAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, CancellationToken cancellationToken)
    {
        if (File.Exists(_layout.Blob(blob.Digest)))
        {
            return Task.CompletedTask;
        }

        return _layerPulls.RunAsync(blob.Digest, async token =>
        {
            if (File.Exists(_layout.Blob(blob.Digest)))
            {
                return true;
            }

            await DownloadAsync(repository, blob, totals, stream => stream.CopyToAsync(Stream.Null, CopyBufferSize, token), token);
            File.Move(_layout.PartialBlob(blob.Digest), _layout.Blob(blob.Digest), overwrite: true);
            Log.LayerCached(store.Logger, blob.Digest, blob.MediaType, blob.Size);
            return true;
        }, cancellationToken);
    }

    private async Task<bool> UnpackTarLayerAsync(RepositoryClient repository, OciDescriptor layer, PullTotals totals, CancellationToken cancellationToken)
    {
        var final = _layout.Layer(LayerContent.LayerKey(layer));
        if (Directory.Exists(final))
        {
            return true;
        }

        var work = _layout.NewTempDirectory("layer");
        try
        {
            await DownloadAsync(repository, layer, totals, stream => unpacker.UnpackAsync(stream, layer, work, UnpackLimits.Default, cancellationToken), cancellationToken);
            ModelTreeLinker.MakeReadableByAll(work);
            Directory.Move(work, final);
            File.Delete(_layout.PartialBlob(layer.Digest));
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
    /// Streams a blob through <paramref name="consume"/> while saving it to its partial file and
    /// verifying it; resumes from whatever an earlier attempt saved.
    /// </summary>
    private async Task DownloadAsync(RepositoryClient repository, OciDescriptor blob, PullTotals totals, Func<Stream, Task> consume, CancellationToken cancellationToken)
    {
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new UnsupportedLayerException(blob.Digest, blob.MediaType);
        }

        var saved = store.PartialLength(blob.Digest);
        if (saved > 0)
        {
            Log.ResumingBlob(store.Logger, blob.Digest, saved);
        }

        bool verified;
        await using (var partial = new FileStream(_layout.PartialBlob(blob.Digest), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.Asynchronous))
        {
            await using var stream = new PartialBlobStream(partial, saved, blob, (offset, token) => repository.OpenBlobAsync(blob, offset, token), totals.Read);
            try
            {
                await consume(stream);
                // Consumers stop at the end of the data they understand; the digest covers every byte.
                await stream.CopyToAsync(Stream.Null, CopyBufferSize, cancellationToken);
                verified = stream.IsVerified;
            }
            catch (DigestMismatchException)
            {
                partial.SetLength(0);
                throw;
            }
            finally
            {
                totals.Add(stream.BytesDownloaded, stream.BytesResumed);
            }

            await partial.FlushAsync(cancellationToken);
            partial.Flush(flushToDisk: true);
        }

        if (!verified)
        {
            throw new DigestMismatchException(blob.Digest, blob.Size, "(not read to the end)", -1, $"blob {blob.Digest}");
        }
    }
}
