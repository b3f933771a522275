using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// The pipeline's first stage: fills ring buffers from the blob's body, each to the brim (so the
/// stages after it see few, large pieces), and sends every filled buffer to all stages at once. A
/// dropped connection is continued from the current offset; the body may not end early or run long.
/// </summary>
internal sealed class NetworkReader(
    BlobSource source,
    OciDescriptor blob,
    BufferRing ring,
    TransferWatchdog watchdog,
    ByteCountingTally? tally,
    int maxReconnects,
    ILogger logger)
{
    public int Reconnects { get; private set; }

    public long BytesDownloaded { get; private set; }

    /// <summary>Reads from <paramref name="start"/> to the blob's end into <paramref name="stages"/>; completes them either way.</summary>
    public async Task RunAsync(long start, IReadOnlyList<ChannelWriter<Chunk>> stages, CancellationToken cancellationToken)
    {
        Stream? body = null;
        try
        {
            body = await OpenAsync(start, cancellationToken);
            var offset = start;
            var failuresInARow = 0;
            while (offset < blob.Size)
            {
                var buffer = await ring.RentAsync(cancellationToken);
                var want = (int)Math.Min(ring.BufferSize, blob.Size - offset);
                var filled = 0;
                while (filled < want)
                {
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken);
                    }
                    catch (IOException e) when (e is not DigestMismatchException && failuresInARow < maxReconnects && !cancellationToken.IsCancellationRequested)
                    {
                        failuresInARow++;
                        Reconnects++;
                        Log.Reconnecting(logger, blob.Digest, offset + filled, e.Message, failuresInARow);
                        await body.DisposeAsync();
                        body = null;
                        body = await source.OpenAt(offset + filled, cancellationToken);
                        continue;
                    }

                    if (read == 0)
                    {
                        ring.Return(buffer);
                        throw new DigestMismatchException(blob.Digest, blob.Size, "(stream ended early)", offset + filled, $"blob {blob.Digest}");
                    }

                    failuresInARow = 0;
                    filled += read;
                    watchdog.Progress(read);
                }

                BytesDownloaded += filled;
                tally?.AddDownloaded(filled);
                var chunk = new Chunk(ring, buffer, offset, filled, stages.Count);
                foreach (var stage in stages)
                {
                    // Unbounded writers never refuse; the ring is what bounds the chunks in flight.
                    stage.TryWrite(chunk);
                }

                offset += filled;
            }

            await EnsureEndedAsync(body, cancellationToken);
        }
        finally
        {
            foreach (var stage in stages)
            {
                stage.TryComplete();
            }

            if (body is not null)
            {
                await body.DisposeAsync();
            }
        }
    }

    private async Task<Stream> OpenAsync(long start, CancellationToken cancellationToken)
    {
        if (source.Opened is { } opened)
        {
            if (source.OpenedAt == start)
            {
                return opened;
            }

            await opened.DisposeAsync();
        }

        return await source.OpenAt(start, cancellationToken);
    }

    /// <summary>A body that goes on past the descriptor's size is not the blob the descriptor names.</summary>
    private async Task EnsureEndedAsync(Stream body, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        int extra;
        try
        {
            extra = await body.ReadAsync(probe, cancellationToken);
        }
        catch (IOException e) when (e is not DigestMismatchException)
        {
            // Every byte is in; a connection dropped after them changes nothing the digest will not catch.
            return;
        }

        if (extra > 0)
        {
            throw new DigestMismatchException(blob.Digest, blob.Size, "(stream longer than its descriptor)", blob.Size + extra, $"blob {blob.Digest}");
        }
    }
}
