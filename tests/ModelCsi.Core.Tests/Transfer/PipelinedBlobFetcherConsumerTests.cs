using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

public sealed class PipelinedBlobFetcherConsumerTests
{
    private static readonly LayerFetchOptions Small = new() { BufferSize = 64 << 10, BufferCount = 4, WritebackInterval = 256 << 10 };

    [Fact]
    public async Task The_consumer_reads_the_same_bytes_and_the_digest_is_verified()
    {
        var content = OciTestContent.RandomBytes((3 << 20) + 17, 21);
        var received = new MemoryStream();
        var tally = new ByteCountingTally();

        var result = await new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(new ScriptedBlobSource(content).OpenAt), OciTestContent.Describe(content), (s, ct) => s.CopyToAsync(received, 5000, ct), tally);

        Assert.Equal(content, received.ToArray());
        Assert.Equal((content.Length, 0), (result.BytesDownloaded, result.Reconnects));
        Assert.Equal(content.Length, tally.BytesDownloaded);
    }

    [Fact]
    public async Task A_consumer_that_reads_synchronously_gets_the_same_bytes()
    {
        var content = OciTestContent.RandomBytes((1 << 20) + 5, 26);
        var received = new MemoryStream();

        // Some decompressors and tar readers read with the synchronous Read; it must see the blob as the async path does.
        await new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(new ScriptedBlobSource(content).OpenAt), OciTestContent.Describe(content), (s, ct) => Task.Run(() => s.CopyTo(received, 5000), ct));

        Assert.Equal(content, received.ToArray());
    }

    [Fact]
    public async Task A_consumer_reading_a_corrupted_blob_gets_the_mismatch_instead_of_the_end()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 22);
        var descriptor = OciTestContent.Describe(content);
        content[^10] ^= 1;
        var sawEnd = false;

        await Assert.ThrowsAsync<DigestMismatchException>(() => new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(new ScriptedBlobSource(content).OpenAt), descriptor, async (s, ct) =>
            {
                await s.CopyToAsync(Stream.Null, ct);
                sawEnd = true;
            }));

        Assert.False(sawEnd);
    }

    [Fact]
    public async Task A_consumer_that_stops_reading_early_still_has_the_rest_of_the_blob_verified()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 23);
        var descriptor = OciTestContent.Describe(content);
        content[^1] ^= 1;

        // Like a tar reader that stops at the end-of-archive blocks and never reads the padding after them.
        await Assert.ThrowsAsync<DigestMismatchException>(() => new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(new ScriptedBlobSource(content).OpenAt), descriptor, async (s, ct) => await s.ReadExactlyAsync(new byte[1000], ct)));
    }

    [Fact]
    public async Task A_cut_connection_is_continued_without_the_consumer_noticing()
    {
        var content = OciTestContent.RandomBytes((2 << 20) + 3, 24);
        var source = new ScriptedBlobSource(content).CutOpening(0, 123_457);
        var received = new MemoryStream();

        var result = await new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(source.OpenAt), OciTestContent.Describe(content), (s, ct) => s.CopyToAsync(received, ct));

        Assert.Equal(content, received.ToArray());
        Assert.Equal([0L, 123_457L], source.OpenedAt);
        Assert.Equal(1, result.Reconnects);
    }

    [Fact]
    public async Task A_consumer_failure_is_reported_as_itself_and_stops_the_download()
    {
        var content = OciTestContent.RandomBytes(4 << 20, 25);
        var source = new ScriptedBlobSource(content);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new PipelinedBlobFetcher(Small).FetchToConsumerAsync(
            new BlobSource(source.OpenAt), OciTestContent.Describe(content), async (s, ct) =>
            {
                await s.ReadExactlyAsync(new byte[100_000], ct);
                throw new InvalidDataException("unsafe entry");
            }));

        Assert.Equal("unsafe entry", error.Message);
    }

    [Fact]
    public async Task A_consumer_that_holds_its_buffers_stays_within_the_ring()
    {
        const long size = 64L << 20;
        var digest = Digest.FromHash(await System.Security.Cryptography.SHA256.HashDataAsync(new PatternStream(size)));
        var descriptor = new OciDescriptor { MediaType = OciTestContent.LayerMediaType, Digest = digest, Size = size };
        var pool = new CountingArrayPool();
        var options = new LayerFetchOptions { BufferSize = 1 << 20, BufferCount = 4 };
        long consumed = 0;

        await new PipelinedBlobFetcher(options, bufferPool: pool).FetchToConsumerAsync(
            new BlobSource((_, _) => Task.FromResult<Stream>(new PatternStream(size))), descriptor, async (s, ct) =>
            {
                var buffer = new byte[7000];
                int n;
                while ((n = await s.ReadAsync(buffer, ct)) > 0)
                {
                    consumed += n;
                }
            });

        Assert.Equal(size, consumed);
        Assert.InRange(pool.Peak, 1, 4L << 20);
        Assert.Equal(0, pool.Outstanding);
    }
}
