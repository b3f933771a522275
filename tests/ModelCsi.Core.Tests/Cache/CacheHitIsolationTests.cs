using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Prometheus;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// Cache hits never wait on a cold pull, and a tag this node resolved before is served from the in-memory record
/// index (loaded from the record files at start), against the real registry behind a proxy that can hold requests.
/// </summary>
public sealed class CacheHitIsolationTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-hits");
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private string Root => _temp.Combine("root");

    private ModelCache NewCache(long maxSize = 0) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = Root, ReservedFreeBytes = 0, MaxSize = new ByteSize(maxSize) }),
            _client, new LayerUnpacker(), _time, NullLogger<ModelCache>.Instance, new CacheMetrics(Metrics.NewCustomRegistry()));

    /// <summary>Pushes a model; returns its tag reference through <paramref name="proxy"/> and what was pushed.</summary>
    private async Task<(string Reference, PackedModel Packed)> PushAsync(FaultProxy proxy, int seed, int weightBytes = 200_000)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(weightBytes, seed),
            ["README.md"] = Encoding.UTF8.GetBytes($"# model {seed}\n"),
        };
        var repository = OciTestContent.UniqueRepository("hits");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files));
        return ($"{proxy.Host}/{repository}:v1", packed);
    }

    private static string WeightsDigest(PackedModel packed) => packed.Manifest.Layers.MaxBy(l => l.Size)!.Digest;

    [Fact]
    public async Task A_cached_publish_completes_while_a_cold_pull_holds_its_reservation_with_its_download_blocked()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var cached = await PushAsync(proxy, 501);
        var cold = await PushAsync(proxy, 502, weightBytes: 400_000);
        using var cache = NewCache(maxSize: 50 << 20);
        (await cache.AcquireAsync(new ModelRequest(cached.Reference)).WaitAsync(Patience)).Lease?.Dispose();

        var blocked = proxy.HoldRequests("/blobs/" + WeightsDigest(cold.Packed));
        var coldPull = cache.AcquireAsync(new ModelRequest(cold.Reference) { Holder = LeaseHolder.Volume("vol-cold", "/target/cold") });
        try
        {
            await blocked.WaitAsync(Patience);
            long reserved;
            lock (cache.Store.Gate)
            {
                reserved = cache.Store.ReservedBytes;
            }

            Assert.True(reserved > 0, "the cold pull holds a reservation");
            var requestsBefore = proxy.Requests.Count;

            // Published by tag (this node's last resolution) and by digest, and a collection on top: none waits.
            var byTag = await cache.AcquireAsync(new ModelRequest(cached.Reference) { Holder = LeaseHolder.Volume("vol-1", "/target/1") }).WaitAsync(Patience);
            var byDigest = await cache.AcquireAsync(new ModelRequest($"{proxy.Host}/{OciReference.Parse(cached.Reference).Repository}@{cached.Packed.ManifestDigest}")
            { Holder = LeaseHolder.Volume("vol-2", "/target/2") }).WaitAsync(Patience);
            cache.CollectGarbage();

            Assert.False(coldPull.IsCompleted, "the cold pull is still held at the proxy");
            Assert.Equal(byTag.ModelPath, byDigest.ModelPath);
            Assert.Equal(cache.Layout.Model(cached.Packed.ManifestDigest), byTag.ModelPath);
            Assert.Equal(requestsBefore, proxy.Requests.Count);
        }
        finally
        {
            proxy.ReleaseHeld();
        }

        var pulled = await coldPull.WaitAsync(Patience);
        Assert.Equal(cache.Layout.Model(cold.Packed.ManifestDigest), pulled.ModelPath);
        Assert.Equal(cache.MeasureCacheBytes(), cache.Store.TrackedCacheBytes);
    }

    [Fact]
    public async Task A_tag_publish_is_served_from_the_record_index_and_reads_no_record_file()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var model = await PushAsync(proxy, 511);
        using var cache = NewCache();
        var first = await cache.AcquireAsync(new ModelRequest(model.Reference)).WaitAsync(Patience);

        // Were any record file read now, it would find nothing, and the registry is unavailable as well.
        foreach (var record in Directory.EnumerateFiles(cache.Layout.Index, "*.json"))
        {
            File.WriteAllText(record, "{ damaged");
        }

        proxy.FailNextRequests("/v2/", 1000);
        var requestsBefore = proxy.Requests.Count;

        var again = await cache.AcquireAsync(new ModelRequest(model.Reference) { PullPolicy = PullPolicy.IfNotPresent, Holder = LeaseHolder.Volume("vol-1", "/target/1") }).WaitAsync(Patience);

        Assert.Equal(first.ModelPath, again.ModelPath);
        Assert.Equal(requestsBefore, proxy.Requests.Count);
        Assert.Equal(first.CacheKey, cache.Store.Records.FindResolution(model.Reference, null));
    }

    [Fact]
    public async Task Tag_resolutions_survive_a_restart_and_go_with_their_model_when_it_is_evicted()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var model = await PushAsync(proxy, 521);
        string key;
        using (var before = NewCache())
        {
            key = (await before.AcquireAsync(new ModelRequest(model.Reference)).WaitAsync(Patience)).CacheKey;
        }

        // A restart with a limit the model exceeds: start-up repairs, it does not evict.
        using var cache = NewCache(maxSize: 1);
        Assert.Equal(key, cache.Store.Records.FindResolution(model.Reference, null));
        proxy.FailNextRequests("/v2/", 1000);
        var requestsBefore = proxy.Requests.Count;
        var handle = await cache.AcquireAsync(new ModelRequest(model.Reference) { Holder = LeaseHolder.Volume("vol-1", "/target/1") }).WaitAsync(Patience);
        Assert.Equal(requestsBefore, proxy.Requests.Count);

        Assert.Empty(cache.CollectGarbage().Evicted);
        Assert.Equal(key, cache.Store.Records.FindResolution(model.Reference, null));

        handle.Lease!.Dispose();
        Assert.Equal([key], cache.CollectGarbage().Evicted.Select(r => r.Key));
        Assert.Null(cache.Store.Records.FindResolution(model.Reference, null));
        Assert.Null(cache.Store.Records.Get(key));

        using var restarted = NewCache();
        Assert.Null(restarted.Store.Records.FindResolution(model.Reference, null));
        Assert.Empty(restarted.ListModels());
    }
}
