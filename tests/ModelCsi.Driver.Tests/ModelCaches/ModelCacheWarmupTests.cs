using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.ModelCaches;
using ModelCsi.TestSupport;
using Xunit;
using static ModelCsi.Driver.Tests.ModelCaches.ModelCacheObjects;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>
/// ModelCaches warming the real node cache: the HTTP-level fake API server, the real Kubernetes client, the real
/// pull pipeline and store, and the real registry behind a proxy that counts blob downloads.
/// </summary>
public sealed class ModelCacheWarmupTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly Dictionary<string, string> Gpu = new() { ["gpu"] = "a100" };
    private readonly TempDirectory _temp = new("modelcsi-warmup");
    private ModelCacheCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ModelCacheCluster.StartAsync();

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _temp.Dispose();
    }

    private ModelCache Cache(RegistryClient client, long maxSize = 0) => new(
        Microsoft.Extensions.Options.Options.Create(new ModelCacheOptions { RootDirectory = _temp.Combine("root"), ReservedFreeBytes = 0, MaxSize = new ByteSize(maxSize) }),
        client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance);

    [Fact]
    public async Task A_warmed_model_is_pinned_Ready_and_a_later_publish_is_a_cache_hit_then_deleting_the_ModelCache_makes_it_evictable()
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(300_000, 5), ["config.json"] = "{}"u8.ToArray() };
        var repository = OciTestContent.UniqueRepository("warm");
        var packed = await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Combine("src"), files));
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        var reference = $"{proxy.Host}/{repository}@{packed.ManifestDigest}";
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client);
        _cluster.Server.PutNode("node-a", Gpu);
        await _cluster.StartNodeAsync("node-a", new CacheModelWarmer(cache, Microsoft.Extensions.Options.Options.Create(new Options.DriverOptions { RootDir = _temp.Combine("root") })));

        _cluster.Server.Put("modelcaches", Create("tiny", reference, Gpu));
        await Eventually.ValueAsync(() => Phase(_cluster.Server, "tiny", "node-a"), p => p == ModelCachePhase.Ready, ModelCacheCluster.Patience);
        var blobGets = proxy.CountRequests("GET", "/blobs/");

        var published = await cache.AcquireAsync(new ModelRequest(reference) { Holder = LeaseHolder.Volume("vol-1", "/pods/a") });

        Assert.Equal(packed.ManifestDigest, (string?)NodeEntry(_cluster.Server, "tiny", "node-a")!["digest"]);
        Assert.Equal(blobGets, proxy.CountRequests("GET", "/blobs/"));
        Assert.Contains(LeaseHolder.Pin("modelcache/tiny"), cache.Store.Leases.Holders(published.CacheKey));
        // The pin is on disk: a restarted driver holds it again before any ModelCache is read.
        Assert.Equal(published.CacheKey, PinFile.Read(PinFile.PathFor(_temp.Combine("root")))["modelcache/tiny"]);
        using (var restarted = Cache(client))
        {
            var warmer = new CacheModelWarmer(restarted, Microsoft.Extensions.Options.Options.Create(new Options.DriverOptions { RootDir = _temp.Combine("root") }));
            Assert.Equal(["modelcache/tiny"], warmer.PinnedOwners);
            Assert.True(restarted.Store.Leases.IsHeld(published.CacheKey));
        }


        published.Lease!.Dispose();
        _cluster.Server.Delete("modelcaches", "tiny");
        await Eventually.ValueAsync(() => cache.Store.Leases.IsHeld(published.CacheKey), held => !held, ModelCacheCluster.Patience);
        Assert.Empty(PinFile.Read(PinFile.PathFor(_temp.Combine("root"))));
        using var limited = Cache(client, maxSize: 1);
        Assert.Equal([packed.ManifestDigest], limited.CollectGarbage().Evicted.Select(m => m.Key));
    }

    [Fact]
    public async Task A_pin_beyond_the_cache_limit_is_Failed_with_the_bytes_needed_and_available()
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(400_000, 6) };
        var repository = OciTestContent.UniqueRepository("warm");
        var packed = await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Combine("big"), files));
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client, maxSize: 100_000);
        _cluster.Server.PutNode("node-a", Gpu);
        await _cluster.StartNodeAsync("node-a", new CacheModelWarmer(cache, Microsoft.Extensions.Options.Options.Create(new Options.DriverOptions { RootDir = _temp.Combine("root") })));

        _cluster.Server.Put("modelcaches", Create("big", $"{registry.Registry.Host}/{repository}@{packed.ManifestDigest}", Gpu));

        await Eventually.ValueAsync(() => Phase(_cluster.Server, "big", "node-a"), p => p == ModelCachePhase.Failed, ModelCacheCluster.Patience);
        var message = (string?)NodeEntry(_cluster.Server, "big", "node-a")!["message"];
        Assert.Contains("needs", message, StringComparison.Ordinal);
        Assert.Contains("available", message, StringComparison.Ordinal);
    }
}
