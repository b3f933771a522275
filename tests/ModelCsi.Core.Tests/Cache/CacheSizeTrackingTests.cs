using System.Text;
using CsCheck;
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
/// The store's tracked size (no walk) against a real walk of the disk, after pulls, evictions, abandoned
/// partial downloads and restarts, against the real registry.
/// </summary>
public sealed class CacheSizeTrackingTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-size");
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private ModelCache NewCache(string root, long maxSize = 0) =>
        new(Options.Create(new ModelCacheOptions
        {
            RootDirectory = root,
            ReservedFreeBytes = 0,
            MaxSize = new ByteSize(maxSize),
            // Small buffers, so a download cut part way has written some of its bytes.
            Fetch = new ModelCsi.Core.Transfer.LayerFetchOptions { BufferSize = 16 * 1024 },
        }),
            _client, new LayerUnpacker(), _time, NullLogger<ModelCache>.Instance, new CacheMetrics(Metrics.NewCustomRegistry()));

    /// <summary>A model with weights of its own and small files every sample shares; every layer a tar when asked.</summary>
    private async Task<(string Reference, PackedModel Packed)> PushAsync(string registryHost, int seed, int weightBytes, bool tarLayers)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(weightBytes, seed),
            ["tokenizer/vocab.txt"] = Encoding.UTF8.GetBytes("shared\nvocab\n" + (tarLayers ? "tar" : "raw")),
            ["README.md"] = Encoding.UTF8.GetBytes("# shared\n"),
        };
        var options = tarLayers
            ? new PackOptions { Form = LayerForm.Tar, FormByKind = new Dictionary<LayerKind, LayerForm> { [LayerKind.Doc] = LayerForm.TarGzip } }
            : null;
        var repository = OciTestContent.UniqueRepository("size");
        var packed = await TestModels.PushAsync(registryHost, repository, "v1", TestModels.WriteDirectory(_temp.Path, files), options);
        return ($"{fixture.Registry.Host}/{repository}:v1", packed);
    }

    private static void AssertTrackedMatchesWalk(ModelCache cache, string after) =>
        Assert.True(cache.Store.TrackedCacheBytes == cache.MeasureCacheBytes(), $"after {after}: tracked {cache.Store.TrackedCacheBytes} bytes, a walk finds {cache.MeasureCacheBytes()}");

    [Fact]
    public async Task The_tracked_size_matches_a_walk_of_the_disk_after_any_sequence_of_pulls_evictions_abandoned_downloads_and_restarts()
    {
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        var small = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            small.Add((await PushAsync(fixture.Registry.Host, 300 + i, 300_000, tarLayers: i == 1)).Reference);
        }

        // Pulled through a slow link and dropped part way: what a killed driver leaves.
        var abandoned = (await PushAsync(fixture.Registry.Host, 399, 400_000, tarLayers: false)).Reference.Replace(fixture.Registry.Host, proxy.Host, StringComparison.Ordinal);
        var run = 0;

        // 0-2 pull a model (the third past the limit evicts), 3 collect, 4 abandon a download, 5 restart.
        await Gen.Int[0, 5].Array[3, 7].SampleAsync(
            async ops =>
            {
                var root = _temp.Combine("root-" + Interlocked.Increment(ref run));
                var cache = NewCache(root, maxSize: 800_000);
                try
                {
                    foreach (var op in ops)
                    {
                        _time.Advance(TimeSpan.FromMinutes(1));
                        switch (op)
                        {
                            case <= 2:
                                await cache.AcquireAsync(new ModelRequest(small[op])).WaitAsync(Patience);
                                break;
                            case 3:
                                cache.CollectGarbage();
                                break;
                            case 4:
                                await AbandonAsync(cache, proxy, abandoned);
                                cache = NewCache(root, maxSize: 800_000);
                                break;
                            default:
                                cache.Dispose();
                                cache = NewCache(root, maxSize: 800_000);
                                break;
                        }

                        AssertTrackedMatchesWalk(cache, $"op {op} of [{string.Join(", ", ops)}]");
                    }

                    Assert.Equal(0, cache.RemeasureUsage());
                }
                finally
                {
                    cache.Dispose();
                }
            },
            iter: 6,
            threads: 1);
    }

    /// <summary>Starts a pull through a slow proxy, stops the pipeline once part of the weights is on disk, waits for its downloads to end.</summary>
    private async Task AbandonAsync(ModelCache cache, FaultProxy proxy, string reference)
    {
        proxy.BytesPerSecond = 64 * 1024;
        try
        {
            var pull = cache.AcquireAsync(new ModelRequest(reference));
            await Eventually.ValueAsync(
                () => new DirectoryInfo(cache.Layout.Blobs).EnumerateFiles("*.partial").Sum(f => f.Length) + (pull.IsCompleted ? 1 : 0),
                bytes => bytes > 0,
                Patience);
            cache.Dispose();
            await Assert.ThrowsAnyAsync<Exception>(() => pull.WaitAsync(Patience));
            await cache.Store.Downloads.WhenIdleAsync().WaitAsync(Patience);
            await Eventually.ValueAsync(() => cache.Pipeline.PullsInProgress, n => n == 0, Patience);
            AssertTrackedMatchesWalk(cache, "an abandoned download");
        }
        finally
        {
            proxy.BytesPerSecond = 0;
        }
    }

    [Fact]
    public async Task Content_changed_behind_the_drivers_back_is_corrected_by_the_periodic_walk()
    {
        var model = await PushAsync(fixture.Registry.Host, 310, 100_000, tarLayers: false);
        using var cache = NewCache(_temp.Combine("root"));
        await cache.AcquireAsync(new ModelRequest(model.Reference)).WaitAsync(Patience);
        var tracked = cache.Store.TrackedCacheBytes;

        File.WriteAllBytes(cache.Layout.PartialBlob("sha256:" + new string('a', 64)), new byte[12_345]);

        Assert.Equal(tracked, cache.Store.TrackedCacheBytes);
        Assert.Equal(12_345, cache.RemeasureUsage());
        Assert.Equal(cache.MeasureCacheBytes(), cache.Store.TrackedCacheBytes);
    }

    [Fact]
    public void A_layers_size_counts_a_hard_linked_file_once_as_its_unpacking_does()
    {
        var layer = Directory.CreateDirectory(_temp.Combine("layer", "sub")).Parent!.FullName;
        File.WriteAllBytes(Path.Combine(layer, "sub", "a.bin"), new byte[1000]);
        File.WriteAllBytes(Path.Combine(layer, "b.bin"), new byte[24]);
        Assert.Equal(0, Mono.Unix.Native.Syscall.link(Path.Combine(layer, "sub", "a.bin"), Path.Combine(layer, "a-again.bin")));
        File.CreateSymbolicLink(Path.Combine(layer, "outside"), "/etc");

        Assert.Equal(1024, CacheWalk.LayerBytes(layer));
    }
}
