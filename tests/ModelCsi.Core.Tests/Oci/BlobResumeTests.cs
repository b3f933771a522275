using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class BlobResumeTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private const int BlobSize = 8 * 1024 * 1024;

    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    private async Task<(string Name, byte[] Content, OciDescriptor Blob)> PushBlobAsync(int seed)
    {
        var name = OciTestContent.UniqueRepository("resume");
        var content = OciTestContent.RandomBytes(BlobSize, seed);
        var blob = OciTestContent.Describe(content);
        await _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}")).PushBlobAsync(blob, new MemoryStream(content));
        return (name, content, blob);
    }

    [Fact]
    public async Task A_download_cut_mid_blob_resumes_with_a_range_request_and_each_byte_arrives_once()
    {
        var (name, content, blob) = await PushBlobAsync(seed: 11);
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        proxy.CutResponseOnce($"/blobs/{blob.Digest}", afterResponseBytes: 3 * 1024 * 1024);
        var repository = _client.Repository(OciReference.Parse($"{proxy.Host}/{name}"));
        using var copy = new MemoryStream();

        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(1, proxy.CutsDone);
        Assert.Equal(content, copy.ToArray());
        var gets = proxy.Requests.Where(r => r.Method == "GET" && r.Path.Contains(blob.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches($"^bytes=[1-9][0-9]*-{BlobSize - 1}$", gets[1].Range);
        var resumedAt = long.Parse(gets[1].Range!["bytes=".Length..gets[1].Range!.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 2 * 1024 * 1024, 3 * 1024 * 1024);
    }

    [Fact]
    public async Task A_registry_that_ignores_Range_is_resumed_by_skipping_to_the_position()
    {
        var (name, content, blob) = await PushBlobAsync(seed: 15);
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        proxy.StripRangeHeaders = true;
        proxy.CutResponseOnce($"/blobs/{blob.Digest}", afterResponseBytes: 5 * 1024 * 1024);
        var repository = _client.Repository(OciReference.Parse($"{proxy.Host}/{name}"));
        using var copy = new MemoryStream();

        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(1, proxy.CutsDone);
        Assert.Equal(content, copy.ToArray());
        Assert.Equal(2, proxy.CountRequests("GET", blob.Digest));
        Assert.NotNull(proxy.Requests.Last(r => r.Method == "GET").Range);
    }

    [Fact]
    public async Task A_blob_opened_at_an_offset_yields_only_the_tail()
    {
        var (name, content, blob) = await PushBlobAsync(seed: 12);
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var repository = _client.Repository(OciReference.Parse($"{proxy.Host}/{name}"));
        using var tail = new MemoryStream();

        await using (var stream = await repository.OpenBlobAsync(blob, offset: 5_000_000))
        {
            await stream.CopyToAsync(tail);
        }

        Assert.Equal(content[5_000_000..], tail.ToArray());
        Assert.Equal($"bytes=5000000-{BlobSize - 1}", Assert.Single(proxy.Requests, r => r.Method == "GET").Range);
    }

    [Fact]
    public async Task A_partial_file_is_completed_and_verified_by_seeding_the_hash_with_it()
    {
        var (name, content, blob) = await PushBlobAsync(seed: 13);
        using var directory = new TempDirectory();
        var path = directory.Combine("blob.partial");
        await File.WriteAllBytesAsync(path, content[..3_000_000]);
        var repository = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}"));

        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            await using var verifying = new DigestVerifyingStream(await repository.OpenBlobAsync(blob, file.Length), blob);
            await verifying.SeedAsync(file);
            await verifying.CopyToAsync(file);
            Assert.True(verifying.Verified);
        }

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_connection_that_keeps_dropping_gives_up_with_RegistryUnavailableException()
    {
        var (name, _, blob) = await PushBlobAsync(seed: 14);
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var options = OciTestContent.QuickRetries();
        options.MaxBlobResumes = 2;
        using var client = new RegistryClient(options);
        var repository = client.Repository(OciReference.Parse($"{proxy.Host}/{name}"));
        proxy.CutResponseOnce($"/blobs/{blob.Digest}", 1024 * 1024);
        await using var stream = await repository.OpenBlobAsync(blob);
        var buffer = new byte[64 * 1024];
        var read = 0L;

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(async () =>
        {
            while (true)
            {
                // Re-arm before every resume, so each attempt is cut again.
                proxy.CutResponseOnce($"/blobs/{blob.Digest}", 1024 * 1024);
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        });

        Assert.Contains("interrupted 3 times", error.Message, StringComparison.Ordinal);
        Assert.True(read < BlobSize);
    }

    public void Dispose() => _client.Dispose();
}
