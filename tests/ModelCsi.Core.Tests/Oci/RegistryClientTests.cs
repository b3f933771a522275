using System.Text;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class RegistryClientTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    private RepositoryClient Repository(string name, string? host = null) =>
        _client.Repository(OciReference.Parse($"{host ?? fixture.Registry.Host}/{name}"));

    private static async Task<(OciDescriptor Config, OciDescriptor Layer, byte[] Manifest)> PushModelAsync(RepositoryClient repository, string tag, int seed)
    {
        var config = Encoding.UTF8.GetBytes("{\"descriptor\":{\"name\":\"test\"}}");
        var layer = OciTestContent.RandomBytes(300_000, seed);
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.cncf.model.config.v1+json");
        var layerDescriptor = OciTestContent.Describe(layer);
        await repository.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repository.PushBlobAsync(layerDescriptor, new MemoryStream(layer));
        var manifest = OciTestContent.Manifest(configDescriptor, [layerDescriptor], new Dictionary<string, string> { ["note"] = "abcdef" });
        await repository.PushManifestAsync(tag, OciMediaTypes.ImageManifest, manifest);
        return (configDescriptor, layerDescriptor, manifest);
    }

    [Fact]
    public async Task Ping_succeeds_against_a_running_registry()
    {
        await Repository("ping/me").PingAsync();
    }

    [Fact]
    public async Task A_pushed_manifest_is_fetched_by_tag_and_by_digest_with_the_same_pinned_digest()
    {
        var repository = Repository(OciTestContent.UniqueRepository("models"));
        var (config, layer, manifest) = await PushModelAsync(repository, "v1", seed: 1);

        var byTag = await repository.GetManifestAsync("v1");
        var byDigest = await repository.GetManifestAsync(byTag.Digest);

        Assert.Equal(Digest.Of(manifest), byTag.Digest);
        Assert.Equal(byTag.Digest, byDigest.Digest);
        Assert.Equal(manifest, byTag.Content);
        Assert.Equal(OciMediaTypes.ImageManifest, byTag.MediaType);
        Assert.Equal(config, byTag.Manifest!.Config);
        Assert.Equal(layer.Digest, Assert.Single(byTag.Manifest.Layers).Digest);
        Assert.Null(byTag.Index);
    }

    [Fact]
    public async Task An_index_is_returned_parsed_as_an_index()
    {
        var repository = Repository(OciTestContent.UniqueRepository("indexes"));
        await PushModelAsync(repository, "inner", seed: 2);
        var inner = await repository.GetManifestAsync("inner");
        var index = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new OciIndex { MediaType = OciMediaTypes.ImageIndex, Manifests = [inner.Descriptor] });
        await repository.PushManifestAsync("multi", OciMediaTypes.ImageIndex, index);

        var fetched = await repository.GetManifestAsync("multi");

        Assert.Equal(OciMediaTypes.ImageIndex, fetched.MediaType);
        Assert.Equal(inner.Digest, Assert.Single(fetched.Index!.Manifests).Digest);
        Assert.Null(fetched.Manifest);
    }

    [Fact]
    public async Task A_blob_round_trips_verified()
    {
        var name = OciTestContent.UniqueRepository("blobs");
        var repository = Repository(name);
        var content = OciTestContent.RandomBytes(2_000_000, 3);
        var blob = OciTestContent.Describe(content);

        Assert.True(await repository.PushBlobAsync(blob, new MemoryStream(content)));
        using var copy = new MemoryStream();
        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(content, copy.ToArray());
        Assert.True(await repository.BlobExistsAsync(blob.Digest));
        Assert.Equal(1, await Eventually.ValueAsync(() => fixture.Registry.CountBlobGets(name, blob.Digest), count => count >= 1));
    }

    [Fact]
    public async Task Pushing_a_blob_that_exists_skips_the_upload()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var repository = Repository(OciTestContent.UniqueRepository("dedupe"), proxy.Host);
        var content = OciTestContent.RandomBytes(50_000, 4);
        var blob = OciTestContent.Describe(content);

        var first = await repository.PushBlobAsync(blob, new MemoryStream(content));
        var second = await repository.PushBlobAsync(blob, new MemoryStream(content));

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(1, proxy.CountRequests("POST", "/blobs/uploads/"));
        Assert.Equal(1, proxy.CountRequests("PUT", "/blobs/uploads/"));
        Assert.Equal(2, proxy.CountRequests("HEAD", blob.Digest));
    }

    [Fact]
    public async Task A_missing_manifest_throws_ManifestNotFoundException_naming_the_reference()
    {
        var name = OciTestContent.UniqueRepository("missing");
        var repository = Repository(name);
        await PushModelAsync(repository, "exists", seed: 5);

        var error = await Assert.ThrowsAsync<ManifestNotFoundException>(() => repository.GetManifestAsync("nope"));

        Assert.Contains($"{fixture.Registry.Host}/{name}:nope", error.Message, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_missing_blob_throws_BlobNotFoundException()
    {
        var repository = Repository(OciTestContent.UniqueRepository("missing"));
        var blob = OciTestContent.Describe(OciTestContent.RandomBytes(10, 6));

        var error = await Assert.ThrowsAsync<BlobNotFoundException>(() => repository.FetchBlobAsync(blob, Stream.Null));

        Assert.Contains(blob.Digest, error.Message, StringComparison.Ordinal);
        Assert.False(await repository.BlobExistsAsync(blob.Digest));
    }

    [Fact]
    public async Task A_blob_whose_stored_bytes_were_altered_fails_with_DigestMismatchException()
    {
        var repository = Repository(OciTestContent.UniqueRepository("tampered"));
        var content = OciTestContent.RandomBytes(500_000, 7);
        var blob = OciTestContent.Describe(content);
        await repository.PushBlobAsync(blob, new MemoryStream(content));
        CorruptStoredBlob(blob.Digest, at: 250_000);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => repository.FetchBlobAsync(blob, Stream.Null));

        Assert.Equal(blob.Digest, error.ExpectedDigest);
        Assert.NotEqual(blob.Digest, error.ActualDigest);
        Assert.Equal(500_000, error.ActualSize);
    }

    [Fact]
    public async Task A_descriptor_with_the_wrong_digest_fails_with_DigestMismatchException()
    {
        var repository = Repository(OciTestContent.UniqueRepository("wrongdesc"));
        var content = OciTestContent.RandomBytes(1000, 8);
        var blob = OciTestContent.Describe(content);
        await repository.PushBlobAsync(blob, new MemoryStream(content));

        // Ask for the stored blob but claim a size it does not have: the registry sends 1000 bytes.
        var wrongSize = blob with { Size = 999 };

        await Assert.ThrowsAsync<DigestMismatchException>(() => repository.FetchBlobAsync(wrongSize, Stream.Null));
    }

    [Fact]
    public async Task A_manifest_fetched_by_digest_must_hash_to_that_digest()
    {
        var repository = Repository(OciTestContent.UniqueRepository("tampered"));
        var (_, _, manifest) = await PushModelAsync(repository, "v1", seed: 9);
        var digest = Digest.Of(manifest);
        var at = Encoding.UTF8.GetString(manifest).IndexOf("abcdef", StringComparison.Ordinal);
        CorruptStoredBlob(digest, at, replacement: (byte)'z');

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => repository.GetManifestAsync(digest));

        Assert.Equal(digest, error.ExpectedDigest);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_registry_answers()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var name = OciTestContent.UniqueRepository("flaky");
        var repository = Repository(name, proxy.Host);
        var (_, _, manifest) = await PushModelAsync(repository, "v1", seed: 10);
        proxy.FailNextRequests("/manifests/v1", count: 2, status: 503);

        var fetched = await repository.GetManifestAsync("v1");

        Assert.Equal(Digest.Of(manifest), fetched.Digest);
        Assert.Equal(3, proxy.CountRequests("GET", "/manifests/v1"));
    }

    [Fact]
    public async Task A_registry_that_keeps_failing_throws_RegistryUnavailableException_with_the_status()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var repository = Repository(OciTestContent.UniqueRepository("flaky"), proxy.Host);
        proxy.FailNextRequests("/manifests/v1", count: 10, status: 429);

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => repository.GetManifestAsync("v1"));

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(3, proxy.CountRequests("GET", "/manifests/v1"));
    }

    [Fact]
    public async Task An_unreachable_registry_throws_RegistryUnavailableException_after_retrying()
    {
        var port = FreePort.Pick();
        var repository = _client.Repository(OciReference.Parse($"127.0.0.1:{port}/nobody/home:v1"));

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => repository.GetManifestAsync("v1"));

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loopback_registries_default_to_plain_http_and_others_to_https()
    {
        Assert.Equal("http", _client.BaseUri(OciReference.Parse("127.0.0.5:5000/x")).Scheme);
        Assert.Equal("http", _client.BaseUri(OciReference.Parse("localhost/x")).Scheme);
        Assert.Equal("https", _client.BaseUri(OciReference.Parse("ghcr.io/x")).Scheme);
        var options = new RegistryClientOptions();
        options.Hosts["127.0.0.1:5000"] = new RegistryHostOptions { PlainHttp = false };
        options.Hosts["insecure.example:5000"] = new RegistryHostOptions { PlainHttp = true };
        using var configured = new RegistryClient(options);
        Assert.Equal("https", configured.BaseUri(OciReference.Parse("127.0.0.1:5000/x")).Scheme);
        Assert.Equal("http", configured.BaseUri(OciReference.Parse("insecure.example:5000/x")).Scheme);
        await Task.CompletedTask;
    }

    private void CorruptStoredBlob(string digest, int at, byte? replacement = null)
    {
        var hex = Digest.Hex(digest);
        var path = Path.Combine(fixture.Registry.StoragePath, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
        var bytes = File.ReadAllBytes(path);
        bytes[at] = replacement ?? (byte)(bytes[at] ^ 0xff);
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => _client.Dispose();
}
