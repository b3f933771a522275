using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class RegistryMirrorTests(TwoRegistriesFixture fixture) : IClassFixture<TwoRegistriesFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly RecordingEndpointObserver _observer = new();

    public void Dispose() => _temp.Dispose();

    private async Task<PackedModel> PushAsync(string host, string repository)
    {
        var source = TestModels.WriteDirectory(_temp.Combine("src-" + Guid.NewGuid().ToString("N")[..6]), new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(30_000, 11),
            ["tokenizer.json"] = "{\"t\":1}"u8.ToArray(),
        });
        return await TestModels.PushAsync(host, repository, "v1", source);
    }

    private RegistryClient Client(params RegistryMirror[] mirrors)
    {
        var options = OciTestContent.QuickRetries();
        var origin = new RegistryHostOptions();
        foreach (var mirror in mirrors)
        {
            origin.Mirrors.Add(mirror);
        }

        options.Hosts[fixture.Origin.Host] = origin;
        return new RegistryClient(options, endpointObserver: _observer);
    }

    private async Task<PullResult> PullAsync(RegistryClient client, string repository, string tagOrDigest = "v1")
    {
        var separator = tagOrDigest.Contains(':', StringComparison.Ordinal) ? "@" : ":";
        var reference = OciReference.Parse($"{fixture.Origin.Host}/{repository}{separator}{tagOrDigest}");
        return await new ModelPuller().PullAsync(client.Repository(reference), _temp.Combine("out-" + Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public async Task A_mirror_that_has_the_model_serves_all_of_it_and_the_origin_is_never_asked()
    {
        var repository = OciTestContent.UniqueRepository("mirror");
        var packed = await PushAsync(fixture.Mirror.Host, repository);
        using var client = Client(new RegistryMirror { Endpoint = fixture.Mirror.Host });

        var result = await PullAsync(client, repository);

        Assert.Equal(2, result.FilesWritten);
        Assert.All(_observer.Requests, r => Assert.Equal((fixture.Mirror.Host, true, true), (r.Endpoint, r.IsMirror, r.Served)));
        Assert.All(_observer.Requests, r => Assert.Equal(fixture.Origin.Host, r.Registry));
        Assert.True(_observer.Requests.Count(r => r.Kind == RegistryRequestKind.Blob) >= packed.Layers.Count);
        Assert.Equal(0, fixture.Origin.CountBlobGets(repository, packed.Layers[0].Descriptor.Digest));
    }

    [Fact]
    public async Task When_the_mirror_lacks_the_model_the_origin_serves_it_and_the_fallbacks_are_reported()
    {
        var repository = OciTestContent.UniqueRepository("origin");
        await PushAsync(fixture.Origin.Host, repository);
        using var client = Client(new RegistryMirror { Endpoint = fixture.Mirror.Host });

        await PullAsync(client, repository);

        var manifest = _observer.Requests.Where(r => r.Kind == RegistryRequestKind.Manifest).ToList();
        Assert.Equal((fixture.Mirror.Host, false), (manifest[0].Endpoint, manifest[0].Served));
        Assert.Contains("not found", manifest[0].Reason, StringComparison.Ordinal);
        Assert.Equal((fixture.Origin.Host, true), (manifest[1].Endpoint, manifest[1].Served));
        Assert.All(_observer.Served, r => Assert.Equal((fixture.Origin.Host, false), (r.Endpoint, r.IsMirror)));
    }

    [Fact]
    public async Task The_repository_path_gets_the_mirrors_prefix()
    {
        var repository = OciTestContent.UniqueRepository("prefixed");
        await PushAsync(fixture.Mirror.Host, "origin-cache/" + repository);
        using var client = Client(new RegistryMirror { Endpoint = "http://" + fixture.Mirror.Host, PathPrefix = "/origin-cache/" });

        await PullAsync(client, repository);

        Assert.All(_observer.Requests, r => Assert.True(r.IsMirror && r.Served));
    }

    [Fact]
    public async Task An_unreachable_mirror_is_skipped_for_the_next_one_without_retries()
    {
        var repository = OciTestContent.UniqueRepository("dead");
        await PushAsync(fixture.Mirror.Host, repository);
        var dead = $"127.0.0.1:{FreePort.Pick()}";
        using var client = Client(new RegistryMirror { Endpoint = dead }, new RegistryMirror { Endpoint = fixture.Mirror.Host });

        await PullAsync(client, repository);

        var attemptsOnDead = _observer.Requests.Where(r => r.Endpoint == dead).ToList();
        Assert.All(attemptsOnDead, r => Assert.False(r.Served));
        Assert.Contains("unreachable", attemptsOnDead[0].Reason, StringComparison.Ordinal);
        Assert.All(_observer.Served, r => Assert.Equal(fixture.Mirror.Host, r.Endpoint));
    }

    [Fact]
    public async Task A_digest_pull_with_tag_resolution_off_for_the_mirror_resolves_the_tag_at_the_origin_only()
    {
        var repository = OciTestContent.UniqueRepository("bydigest");
        var packed = await PushAsync(fixture.Origin.Host, repository);
        await PushAsync(fixture.Mirror.Host, repository);
        using var client = Client(new RegistryMirror { Endpoint = fixture.Mirror.Host, ResolveTags = false });

        await PullAsync(client, repository);

        var manifest = Assert.Single(_observer.Requests, r => r.Kind == RegistryRequestKind.Manifest);
        Assert.Equal(fixture.Origin.Host, manifest.Endpoint);
        Assert.All(_observer.Requests.Where(r => r.Kind == RegistryRequestKind.Blob), r => Assert.Equal((fixture.Mirror.Host, true), (r.Endpoint, r.Served)));
        Assert.NotNull(packed);
    }

    [Fact]
    public async Task Pushes_always_go_to_the_origin()
    {
        var repository = OciTestContent.UniqueRepository("push");
        using var client = Client(new RegistryMirror { Endpoint = fixture.Mirror.Host });
        var content = OciTestContent.RandomBytes(1000, 5);
        var blob = OciTestContent.Describe(content);

        await client.Repository(OciReference.Parse($"{fixture.Origin.Host}/{repository}")).PushBlobAsync(blob, new MemoryStream(content));

        using var plain = new RegistryClient(OciTestContent.QuickRetries());
        Assert.True(await plain.Repository(OciReference.Parse($"{fixture.Origin.Host}/{repository}")).BlobExistsAsync(blob.Digest));
        Assert.False(await plain.Repository(OciReference.Parse($"{fixture.Mirror.Host}/{repository}")).BlobExistsAsync(blob.Digest));
    }

    [Fact]
    public async Task A_throwing_observer_does_not_fail_the_pull()
    {
        var repository = OciTestContent.UniqueRepository("observer");
        await PushAsync(fixture.Origin.Host, repository);
        var options = OciTestContent.QuickRetries();
        using var client = new RegistryClient(options, endpointObserver: new ThrowingObserver());

        var result = await PullAsync(client, repository);

        Assert.Equal(2, result.FilesWritten);
    }

    private sealed class ThrowingObserver : IRegistryEndpointObserver
    {
        public void RequestCompleted(RegistryEndpointRequest request) => throw new InvalidOperationException("metrics broke");
    }
}
