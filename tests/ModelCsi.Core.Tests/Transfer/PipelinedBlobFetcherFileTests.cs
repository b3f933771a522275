using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

public sealed class PipelinedBlobFetcherFileTests : IDisposable
{
    // Small buffers so a few MiB cross many ring turns and several writeback points.
    private static readonly LayerFetchOptions Small = new() { BufferSize = 64 << 10, BufferCount = 4, WritebackInterval = 256 << 10 };

    private readonly TempDirectory _dir = new("modelcsi-transfer");

    private string Partial => _dir.Combine("blob.partial");

    [Fact]
    public async Task A_fetched_blob_is_in_the_file_verified_and_counted()
    {
        var content = OciTestContent.RandomBytes((3 << 20) + 123, 1);
        var source = new ScriptedBlobSource(content);
        var tally = new ByteCountingTally();

        var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial, tally);

        Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
        Assert.Equal(new LayerFetchResult(Digest.Of(content), content.Length, content.Length, 0, 0), result);
        Assert.Equal(content.Length, tally.BytesDownloaded);
        Assert.Equal(0, tally.BytesResumed);
        Assert.Equal([0L], source.OpenedAt);
    }

    [Fact]
    public async Task An_empty_blob_gives_an_empty_verified_file()
    {
        var source = new ScriptedBlobSource([]);

        var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe([]), Partial);

        Assert.Equal(0, new FileInfo(Partial).Length);
        Assert.Equal(Digest.Of([]), result.Digest);
    }

    [Fact]
    public async Task The_file_is_synced_after_its_last_byte_and_before_completion_is_reported()
    {
        var content = OciTestContent.RandomBytes((2 << 20) + 5, 2);
        var journal = new List<string>();
        var fetcher = new PipelinedBlobFetcher(Small, new RecordingFileSync(journal));

        await fetcher.FetchToFileAsync(new BlobSource(new ScriptedBlobSource(content).OpenAt), OciTestContent.Describe(content), Partial);
        lock (journal)
        {
            journal.Add("completed");
        }

        // Writeback was started in steps along the way; the one sync saw the whole file; completion came after it.
        Assert.Equal($"datasync length={content.Length}", journal[^2]);
        Assert.Equal("completed", journal[^1]);
        var writebacks = journal.SkipLast(2).ToList();
        Assert.Equal(8, writebacks.Count);
        Assert.All(writebacks.Select((w, i) => (w, i)), x => Assert.Equal($"writeback {x.i * (256 << 10)}+{256 << 10}", x.w));
    }

    [Fact]
    public async Task A_corrupted_blob_is_rejected_and_leaves_an_empty_partial_file()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 3);
        var descriptor = OciTestContent.Describe(content);
        var corrupted = (byte[])content.Clone();
        corrupted[corrupted.Length / 2] ^= 0xFF;
        var journal = new List<string>();

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() =>
            new PipelinedBlobFetcher(Small, new RecordingFileSync(journal)).FetchToFileAsync(new BlobSource(new ScriptedBlobSource(corrupted).OpenAt), descriptor, Partial));

        Assert.Equal(descriptor.Digest, error.ExpectedDigest);
        Assert.Equal(Digest.Of(corrupted), error.ActualDigest);
        Assert.Equal(0, new FileInfo(Partial).Length);
        Assert.DoesNotContain(journal, j => j.StartsWith("datasync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_body_longer_than_its_descriptor_is_rejected()
    {
        var content = OciTestContent.RandomBytes(300_000, 4);
        var descriptor = OciTestContent.Describe(content[..200_000]);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() =>
            new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(new ScriptedBlobSource(content).OpenAt), descriptor, Partial));

        Assert.True(error.ActualSize > descriptor.Size);
        Assert.Equal(0, new FileInfo(Partial).Length);
    }

    [Fact]
    public async Task A_body_that_ends_early_is_rejected()
    {
        var content = OciTestContent.RandomBytes(300_000, 5);
        var descriptor = OciTestContent.Describe(content);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() =>
            new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(new ScriptedBlobSource(content[..250_000]).OpenAt), descriptor, Partial));

        Assert.Equal(250_000, error.ActualSize);
    }

    [Fact]
    public async Task A_connection_cut_mid_body_is_continued_from_where_it_stopped()
    {
        var content = OciTestContent.RandomBytes((2 << 20) + 77, 6);
        var source = new ScriptedBlobSource(content).CutOpening(0, 700_001).CutOpening(1, 300_000);
        var tally = new ByteCountingTally();

        var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial, tally);

        Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
        Assert.Equal([0L, 700_001L, 1_000_001L], source.OpenedAt);
        Assert.Equal(2, result.Reconnects);
        Assert.Equal(content.Length, result.BytesDownloaded);
    }

    [Fact]
    public async Task A_connection_that_breaks_again_and_again_without_progress_gives_up_and_keeps_its_prefix()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 7);
        var source = new ScriptedBlobSource(content).CutOpening(0, 200_000);
        for (var i = 1; i <= 3; i++)
        {
            source.CutOpening(i, 0);
        }

        await Assert.ThrowsAsync<IOException>(() =>
            new PipelinedBlobFetcher(Small with { MaxReconnects = 2 }).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial));

        Assert.Equal([0L, 200_000L, 200_000L], source.OpenedAt);
        var saved = await File.ReadAllBytesAsync(Partial);
        Assert.Equal(content.AsSpan(0, saved.Length).ToArray(), saved);
    }

    [Fact]
    public async Task A_download_killed_at_random_offsets_resumes_from_the_saved_prefix()
    {
        var content = OciTestContent.RandomBytes((1 << 20) + 999, 8);
        var descriptor = OciTestContent.Describe(content);
        var random = new Random(20261130);
        var offsets = Enumerable.Range(0, 25).Select(_ => random.Next(0, content.Length + 1)).Append(content.Length).Append(1).ToList();
        foreach (var killedAt in offsets)
        {
            // What a kill leaves behind: the file holds exactly the bytes written before it.
            await File.WriteAllBytesAsync(Partial, content[..killedAt]);
            var source = new ScriptedBlobSource(content);
            var tally = new ByteCountingTally();

            var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), descriptor, Partial, tally);

            Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
            Assert.Equal([(long)killedAt], source.OpenedAt);
            Assert.Equal((killedAt, content.Length - killedAt), (result.BytesResumed, result.BytesDownloaded));
            Assert.Equal((killedAt, content.Length - killedAt), (tally.BytesResumed, tally.BytesDownloaded));
        }
    }

    [Fact]
    public async Task A_torn_saved_prefix_is_discarded_and_the_blob_fetched_again_from_the_start()
    {
        var content = OciTestContent.RandomBytes(900_000, 9);
        var torn = content[..400_000];
        Array.Clear(torn, 300_000, 4096);
        await File.WriteAllBytesAsync(Partial, torn);
        var source = new ScriptedBlobSource(content);

        var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial);

        Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
        Assert.Equal([400_000L, 0L], source.OpenedAt);
        Assert.Equal(0, result.BytesResumed);
    }

    [Fact]
    public async Task A_saved_file_longer_than_the_blob_is_cut_to_it_and_verified()
    {
        var content = OciTestContent.RandomBytes(500_000, 10);
        await File.WriteAllBytesAsync(Partial, [.. content, .. new byte[1000]]);
        var source = new ScriptedBlobSource(content);

        var result = await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial);

        Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
        Assert.Equal((content.Length, 0L), (result.BytesResumed, result.BytesDownloaded));
    }

    [Fact]
    public async Task A_body_already_open_is_used_and_one_opened_elsewhere_is_replaced()
    {
        var content = OciTestContent.RandomBytes(600_000, 11);
        var descriptor = OciTestContent.Describe(content);
        var source = new ScriptedBlobSource(content);
        var inHand = await source.OpenAt(0, default);

        await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt, inHand), descriptor, Partial);
        Assert.Equal([0L], source.OpenedAt);

        await File.WriteAllBytesAsync(Partial, content[..1000]);
        var second = new ScriptedBlobSource(content);
        await new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(second.OpenAt, await second.OpenAt(0, default)), descriptor, Partial);
        Assert.Equal([0L, 1000L], second.OpenedAt);
        Assert.Equal(content, await File.ReadAllBytesAsync(Partial));
    }

    [Fact]
    public async Task A_download_that_stops_moving_fails_as_stalled_and_keeps_its_partial_file()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 12);
        var options = Small with { MinimumBytesPerSecond = 1_000_000, RateWindow = TimeSpan.FromMilliseconds(300) };
        var source = new StallingSource(content, stallAfter: 512 << 10);

        var error = await Assert.ThrowsAsync<TransferStalledException>(() =>
            new PipelinedBlobFetcher(options).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial));

        Assert.Contains("below the minimum", error.Message, StringComparison.Ordinal);
        var saved = await File.ReadAllBytesAsync(Partial);
        Assert.InRange(saved.Length, 0, 512 << 10);
        Assert.Equal(content[..saved.Length], saved);
    }

    [Fact]
    public async Task The_overall_time_limit_ends_a_download_that_trickles()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 13);
        var options = Small with { Timeout = TimeSpan.FromMilliseconds(300), MinimumBytesPerSecond = 0 };
        var source = new StallingSource(content, stallAfter: 100_000);

        var error = await Assert.ThrowsAsync<TransferStalledException>(() =>
            new PipelinedBlobFetcher(options).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial));

        Assert.Contains("did not finish within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_download_throws_a_cancellation_not_a_stall()
    {
        var content = OciTestContent.RandomBytes(1 << 20, 14);
        using var cancel = new CancellationTokenSource();
        var source = new StallingSource(content, stallAfter: 100_000, onStall: cancel.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new PipelinedBlobFetcher(Small).FetchToFileAsync(new BlobSource(source.OpenAt), OciTestContent.Describe(content), Partial, cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task Memory_stays_within_the_ring_however_large_the_blob()
    {
        const long size = 256L << 20;
        var digest = Digest.FromHash(await System.Security.Cryptography.SHA256.HashDataAsync(new PatternStream(size)));
        var descriptor = new OciDescriptor { MediaType = OciTestContent.LayerMediaType, Digest = digest, Size = size };
        var pool = new CountingArrayPool();
        var options = new LayerFetchOptions { BufferSize = 1 << 20, BufferCount = 4 };

        await new PipelinedBlobFetcher(options, bufferPool: pool).FetchToFileAsync(
            new BlobSource((_, _) => Task.FromResult<Stream>(new PatternStream(size))), descriptor, Partial);

        // The ring and nothing more, every buffer returned; the blob is 64 times the ring.
        Assert.InRange(pool.Peak, 1, 4L << 20);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(size, new FileInfo(Partial).Length);
    }

    public void Dispose() => _dir.Dispose();
}
