using System.Net.Http.Headers;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

/// <summary>The fetcher against a real registry behind a proxy that drops the connection mid-body.</summary>
public sealed class PipelinedBlobFetcherRegistryTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private readonly TempDirectory _dir = new("modelcsi-transfer");
    private readonly HttpClient _http = new();
    private FaultProxy? _proxy;

    private FaultProxy Proxy => _proxy ?? throw new InvalidOperationException("not started");

    public Task InitializeAsync()
    {
        _proxy = FaultProxy.Start(fixture.Registry.Host);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_blob_whose_connection_is_cut_is_continued_with_a_range_request_and_verified()
    {
        var (blob, content, open) = await PushAsync(5 << 20, 31);
        Proxy.CutResponseOnce(Digest.Hex(blob.Digest), afterResponseBytes: 2_000_000);
        var path = _dir.Combine("blob.partial");

        var result = await new PipelinedBlobFetcher(new LayerFetchOptions()).FetchToFileAsync(new BlobSource(open), blob, path);

        Assert.Equal(1, Proxy.CutsDone);
        Assert.Equal(1, result.Reconnects);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        var ranges = Proxy.Requests.Where(r => r.Path.Contains(Digest.Hex(blob.Digest), StringComparison.Ordinal)).Select(r => r.Range).ToList();
        Assert.Equal(2, ranges.Count);
        Assert.Null(ranges[0]);
        Assert.StartsWith("bytes=", ranges[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blob_the_registry_serves_corrupted_is_rejected_in_consumer_form()
    {
        var (blob, _, open) = await PushAsync(1 << 20, 32);
        TestModels.CorruptBlobInStorage(fixture.Registry, blob.Digest);

        await Assert.ThrowsAsync<DigestMismatchException>(() =>
            new PipelinedBlobFetcher(new LayerFetchOptions()).FetchToConsumerAsync(new BlobSource(open), blob, (s, ct) => s.CopyToAsync(Stream.Null, ct)));
    }

    private async Task<(OciDescriptor Blob, byte[] Content, Func<long, CancellationToken, Task<Stream>> Open)> PushAsync(int size, int seed)
    {
        var content = OciTestContent.RandomBytes(size, seed);
        var blob = OciTestContent.Describe(content);
        var repository = OciTestContent.UniqueRepository("transfer");
        using (var client = new RegistryClient(OciTestContent.QuickRetries()))
        {
            await client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{repository}")).PushBlobAsync(blob, new MemoryStream(content));
        }

        var uri = new Uri($"http://{Proxy.Host}/v2/{repository}/blobs/{blob.Digest}");
        async Task<Stream> Open(long offset, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }

            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }

        return (blob, content, Open);
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _http.Dispose();
        _dir.Dispose();
    }
}
