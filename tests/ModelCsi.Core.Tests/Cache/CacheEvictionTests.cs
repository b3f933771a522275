using ModelCsi.Core.Failures;
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

/// <summary>Eviction under a size limit, the disk budget check and start-up reconciliation, against the real registry.</summary>
public sealed class CacheEvictionTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-evict");
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CollectorRegistry _metrics = Metrics.NewCustomRegistry();

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private string Root => _temp.Combine("root");

    private ModelCache NewCache(long maxSize = 0, TimeSpan? partialMaxAge = null) =>
        new(Options.Create(new ModelCacheOptions
        {
            RootDirectory = Root,
            ReservedFreeBytes = 0,
            MaxSize = new ByteSize(maxSize),
            PartialMaxAge = partialMaxAge ?? TimeSpan.FromDays(7),
        }),
            _client, new LayerUnpacker(), _time, NullLogger<ModelCache>.Instance, new CacheMetrics(_metrics));

    /// <summary>A 300 kB weights file of its own plus small files every sample shares (same bytes, same blobs).</summary>
    private async Task<(string Reference, PackedModel Packed, Dictionary<string, byte[]> Files)> PushAsync(int seed, int weightBytes = 300_000, PackOptions? options = null)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(weightBytes, seed),
            ["tokenizer/vocab.txt"] = Encoding.UTF8.GetBytes("shared\nvocab\n"),
            ["README.md"] = Encoding.UTF8.GetBytes("# shared\n"),
        };
        var repository = OciTestContent.UniqueRepository("evict");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files), options);
        return ($"{fixture.Registry.Host}/{repository}:v1", packed, files);
    }

    private static void AssertSameFiles(Dictionary<string, byte[]> expected, string modelPath)
    {
        foreach (var (relative, content) in expected)
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(modelPath, relative)));
        }
    }

    private double Value(string name) =>
        double.Parse(ScrapeLine(name).Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);

    private string ScrapeLine(string name)
    {
        using var stream = new MemoryStream();
        _metrics.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(stream.ToArray()).Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Filling_the_cache_past_its_limit_evicts_the_least_recently_used_unused_model_and_keeps_the_one_in_use()
    {
        var a = await PushAsync(1);
        var b = await PushAsync(2);
        var c = await PushAsync(3);
        using var cache = NewCache(maxSize: 800_000);

        await cache.AcquireAsync(new ModelRequest(a.Reference) { Holder = LeaseHolder.Volume("vol-a", "/target/a") }).WaitAsync(Patience);
        _time.Advance(TimeSpan.FromMinutes(1));
        await cache.AcquireAsync(new ModelRequest(b.Reference)).WaitAsync(Patience);
        _time.Advance(TimeSpan.FromMinutes(1));
        var handleC = await cache.AcquireAsync(new ModelRequest(c.Reference)).WaitAsync(Patience);

        // a is the least recently used but in use; b is the oldest unused model.
        var kept = cache.ListModels().Select(m => m.ManifestDigest).ToHashSet();
        Assert.Equal(new HashSet<string> { a.Packed.ManifestDigest, c.Packed.ManifestDigest }, kept);
        Assert.False(Directory.Exists(cache.Layout.Model(b.Packed.ManifestDigest)));
        Assert.False(File.Exists(cache.Layout.Blob(b.Packed.Manifest.Layers.Single(l => l.Size == b.Files["model.safetensors"].Length).Digest)));
        AssertSameFiles(a.Files, cache.Layout.Model(a.Packed.ManifestDigest));
        AssertSameFiles(c.Files, handleC.ModelPath);
        Assert.True(cache.MeasureCacheBytes() <= 800_000);
        Assert.Equal(1, Value("modelcsi_evictions_total"));
        Assert.Equal(2, Value("modelcsi_cache_models"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Temp));
    }

    [Fact]
    public async Task Evicting_a_model_keeps_the_blobs_a_kept_model_shares_with_it()
    {
        var a = await PushAsync(11);
        var b = await PushAsync(12);
        using var cache = NewCache();
        await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
        _time.Advance(TimeSpan.FromMinutes(1));
        await cache.AcquireAsync(new ModelRequest(b.Reference)).WaitAsync(Patience);
        var shared = a.Packed.Manifest.Layers.Select(l => l.Digest).Intersect(b.Packed.Manifest.Layers.Select(l => l.Digest)).ToList();
        Assert.NotEmpty(shared);

        // Without a limit nothing goes; one byte under what both take, the older model goes with its exclusive weights.
        Assert.Empty(cache.CollectGarbage().Evicted);

        using var limited = NewCache(maxSize: cache.MeasureCacheBytes() - 1);
        var evicted = limited.CollectGarbage();

        Assert.Equal([a.Packed.ManifestDigest], evicted.Evicted.Select(m => m.ManifestDigest));
        Assert.All(shared, digest => Assert.True(File.Exists(limited.Layout.Blob(digest)), digest));
        AssertSameFiles(b.Files, limited.Layout.Model(b.Packed.ManifestDigest));
        Assert.False(File.Exists(limited.Layout.Blob(a.Packed.ManifestDigest)));
    }

    [Fact]
    public async Task A_model_handed_out_for_a_volume_is_in_use_at_once_and_survives_a_collection_until_released()
    {
        var a = await PushAsync(61);
        using var cache = NewCache();
        var handle = await cache.AcquireAsync(new ModelRequest(a.Reference) { Holder = LeaseHolder.Volume("vol-1", "/target/1") }).WaitAsync(Patience);
        Assert.Equal(1, cache.Store.Leases.Count(handle.CacheKey));

        using var limited = NewCache(maxSize: 1);
        var lease = limited.Acquire(handle.CacheKey, LeaseHolder.Volume("vol-1", "/target/1"));
        Assert.Empty(limited.CollectGarbage().Evicted);
        Assert.True(Directory.Exists(handle.ModelPath));

        lease.Dispose();
        Assert.Equal([handle.ManifestDigest], limited.CollectGarbage().Evicted.Select(m => m.ManifestDigest));
        Assert.False(Directory.Exists(handle.ModelPath));
    }

    [Fact]
    public async Task A_pull_that_cannot_fit_even_after_eviction_evicts_nothing()
    {
        var small = await PushAsync(71, weightBytes: 50_000);
        var big = await PushAsync(72, weightBytes: 400_000);
        using var cache = NewCache(maxSize: 300_000);
        await cache.AcquireAsync(new ModelRequest(small.Reference)).WaitAsync(Patience);

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(big.Reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.InsufficientStorage, error.Kind);
        Assert.Equal([small.Packed.ManifestDigest], cache.ListModels().Select(m => m.ManifestDigest));
        AssertSameFiles(small.Files, cache.Layout.Model(small.Packed.ManifestDigest));
    }

    [Fact]
    public async Task A_dry_run_reports_what_would_go_and_deletes_nothing()
    {
        var a = await PushAsync(21);
        var b = await PushAsync(22);
        using (var cache = NewCache())
        {
            await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
            _time.Advance(TimeSpan.FromMinutes(1));
            await cache.AcquireAsync(new ModelRequest(b.Reference)).WaitAsync(Patience);
        }

        using var limited = NewCache(maxSize: 500_000);
        var bytes = limited.MeasureCacheBytes();
        var result = limited.CollectGarbage(dryRun: true);

        Assert.Equal([a.Packed.ManifestDigest], result.Evicted.Select(m => m.ManifestDigest));
        Assert.True(result.CacheBytesAfter < bytes);
        Assert.Equal(bytes, limited.MeasureCacheBytes());
        Assert.Equal(2, limited.ListModels().Count);
    }

    [Fact]
    public async Task An_artifact_larger_than_the_budget_fails_with_insufficient_storage_and_leaves_nothing_behind()
    {
        var big = await PushAsync(31, weightBytes: 400_000);
        using var cache = NewCache(maxSize: 200_000);

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(big.Reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.InsufficientStorage, error.Kind);
        Assert.Contains("needs", error.Message, StringComparison.Ordinal);
        Assert.Contains("available", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Blobs));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Models));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Index));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Temp));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Layers));
        Assert.Contains("InsufficientStorage", ScrapeLine("modelcsi_pulls_failed_total{reason=\"InsufficientStorage\"}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconciliation_drops_records_without_a_model_and_rebuilds_records_of_models_without_one()
    {
        var a = await PushAsync(41);
        var b = await PushAsync(42, options: new PackOptions { Form = LayerForm.Tar });
        using (var cache = NewCache())
        {
            await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
            await cache.AcquireAsync(new ModelRequest(b.Reference)).WaitAsync(Patience);
            Directory.Delete(cache.Layout.Model(a.Packed.ManifestDigest), recursive: true);
            File.Delete(cache.Layout.ModelRecord(b.Packed.ManifestDigest));
        }

        PassOrphanGracePeriod();

        using var restarted = NewCache();

        Assert.False(File.Exists(restarted.Layout.ModelRecord(a.Packed.ManifestDigest)));
        var rebuilt = Assert.Single(restarted.ListModels());
        Assert.Equal(b.Packed.ManifestDigest, rebuilt.ManifestDigest);
        Assert.Equal(b.Packed.Manifest.Layers.Select(l => l.Digest), rebuilt.Layers);
        AssertSameFiles(b.Files, restarted.Layout.Model(b.Packed.ManifestDigest));
        // a's exclusive weights are referenced by nothing now; b's tar layers stay.
        var aWeights = a.Packed.Manifest.Layers.Single(l => l.Size == a.Files["model.safetensors"].Length).Digest;
        Assert.False(File.Exists(restarted.Layout.Blob(aWeights)));
        Assert.Equal(b.Packed.Manifest.Layers.Count, Directory.EnumerateDirectories(restarted.Layout.Layers).Count());
    }

    [Fact]
    public async Task Reconciliation_removes_orphans_leftovers_and_stale_partials_and_keeps_fresh_partials_of_blobs_and_tar_layers()
    {
        var a = await PushAsync(51);
        using (var cache = NewCache())
        {
            await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
        }

        var layout = new CacheLayout(Root);
        var orphanBlob = layout.Blob(Digest.Of([1, 2, 3]));
        File.WriteAllBytes(orphanBlob, [1, 2, 3]);
        var orphanLayer = layout.Layer(new string('a', 64));
        Directory.CreateDirectory(orphanLayer);
        File.WriteAllText(Path.Combine(orphanLayer, "x"), "x");
        PassOrphanGracePeriod();
        var fresh = layout.PartialBlob(Digest.Of([4]));
        File.WriteAllBytes(fresh, [4]);
        var stale = layout.PartialBlob(Digest.Of([5]));
        File.WriteAllBytes(stale, [5]);
        File.SetLastWriteTimeUtc(stale, _time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(30));
        File.SetLastWriteTimeUtc(fresh, _time.GetUtcNow().UtcDateTime);
        // A plain tar layer's partial directory (tree, journal, checkpoint) is kept for resuming like a partial blob.
        var freshLayer = layout.PartialLayer(new string('b', 64));
        Directory.CreateDirectory(Path.Combine(freshLayer, "tree"));
        Directory.SetLastWriteTimeUtc(freshLayer, _time.GetUtcNow().UtcDateTime);
        var staleLayer = layout.PartialLayer(new string('c', 64));
        Directory.CreateDirectory(Path.Combine(staleLayer, "tree"));
        Directory.SetLastWriteTimeUtc(staleLayer, _time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(30));
        var leftover = Path.Combine(layout.Temp, "model-dead");
        Directory.CreateDirectory(leftover);
        var unknownModel = layout.Model(Digest.Of([9]));
        Directory.CreateDirectory(unknownModel);
        var halfWritten = layout.Blob(Digest.Of([6])) + ".tmp-123";
        File.WriteAllBytes(halfWritten, [6]);

        using var restarted = NewCache();

        Assert.False(File.Exists(orphanBlob));
        Assert.False(Directory.Exists(orphanLayer));
        Assert.True(File.Exists(fresh));
        Assert.False(File.Exists(stale));
        Assert.True(Directory.Exists(freshLayer));
        Assert.False(Directory.Exists(staleLayer));
        Assert.False(Directory.Exists(leftover));
        Assert.False(Directory.Exists(unknownModel));
        Assert.False(File.Exists(halfWritten));
        AssertSameFiles(a.Files, restarted.Layout.Model(a.Packed.ManifestDigest));
        Assert.Single(restarted.ListModels());
    }

    /// <summary>
    /// Moves the clock two hours past now: content changed up to now (ctime, which tests cannot set)
    /// is then older than the orphan grace period.
    /// </summary>
    private void PassOrphanGracePeriod() => _time.Advance(DateTimeOffset.UtcNow - _time.GetUtcNow() + TimeSpan.FromHours(2));

    [Fact]
    public async Task Finished_layers_of_a_pull_that_died_survive_the_restart_and_are_not_downloaded_again()
    {
        var a = await PushAsync(61);
        using (var cache = NewCache())
        {
            await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
            // What a kill leaves after some layers finished: their verified blobs, but no model and no record.
            var hidden = Path.Combine(cache.Layout.Temp, "gone");
            Directory.Move(cache.Layout.Model(a.Packed.ManifestDigest), hidden);
            File.Delete(cache.Layout.ModelRecord(a.Packed.ManifestDigest));
        }

        var weights = a.Packed.Manifest.Layers.Single(l => l.Size == a.Files["model.safetensors"].Length).Digest;
        var downloadedBefore = Value("modelcsi_downloaded_bytes_total");
        using var restarted = NewCache();
        Assert.True(File.Exists(restarted.Layout.Blob(weights)));

        var handle = await restarted.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);

        AssertSameFiles(a.Files, handle.ModelPath);
        Assert.Equal(downloadedBefore, Value("modelcsi_downloaded_bytes_total"));
    }

    [Fact]
    public async Task A_compressed_layer_expanding_past_the_room_left_is_stopped_there_as_insufficient_storage()
    {
        // 64 MiB of zeros: a few kilobytes of zstd, far more than the 8 MiB the cache may hold.
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = new byte[64 << 20], ["config.json"] = "{}"u8.ToArray() };
        var repository = OciTestContent.UniqueRepository("bomb");
        await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Combine("bomb-src"), files), new PackOptions { Form = LayerForm.TarZstd });
        using var cache = NewCache(maxSize: 8 << 20);

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest($"{fixture.Registry.Host}/{repository}:v1")).WaitAsync(Patience));

        Assert.Equal(FailureKind.InsufficientStorage, error.Kind);
        Assert.Empty(cache.ListModels());
        Assert.True(cache.MeasureCacheBytes() <= 8 << 20, $"{cache.MeasureCacheBytes()} bytes in the cache");
        // Layers fetched beside the stopped one finish on their own (they may be shared with other pulls); then tmp/ is empty.
        Assert.Empty(await Eventually.ValueAsync(() => Directory.EnumerateFileSystemEntries(cache.Layout.Temp).ToList(), entries => entries.Count == 0));
    }

    [Fact]
    public async Task A_model_leased_by_two_holders_stays_until_both_release_it()
    {
        var a = await PushAsync(81);
        using var cache = NewCache();
        var first = await cache.AcquireAsync(new ModelRequest(a.Reference) { Holder = LeaseHolder.Volume("vol-1", "/pods/one") }).WaitAsync(Patience);
        var second = await cache.AcquireAsync(new ModelRequest(a.Reference) { Holder = LeaseHolder.Volume("vol-1", "/pods/two") }).WaitAsync(Patience);
        using var limited = NewCache(maxSize: 1);
        // The limited view shares the disk, not the leases: hand it the same two.
        var one = limited.Acquire(first.CacheKey, first.Lease!.Holder);
        var two = limited.Acquire(second.CacheKey, second.Lease!.Holder);

        one.Dispose();
        Assert.Empty(limited.CollectGarbage().Evicted);
        Assert.True(Directory.Exists(first.ModelPath));

        two.Dispose();
        Assert.Single(limited.CollectGarbage().Evicted);
    }

    [Fact]
    public async Task Abandoned_partial_downloads_are_collected_when_a_pull_needs_their_room()
    {
        var a = await PushAsync(91, weightBytes: 200_000);
        // Five pulls killed and never retried left their partial downloads behind; the driver starts again.
        using (var dead = NewCache(maxSize: 400_000))
        {
            for (var i = 0; i < 5; i++)
            {
                await File.WriteAllBytesAsync(dead.Layout.PartialBlob("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)i]))), new byte[60_000]);
            }
        }

        using var cache = NewCache(maxSize: 400_000);

        var handle = await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);

        AssertSameFiles(a.Files, handle.ModelPath);
        Assert.Empty(Directory.EnumerateFiles(cache.Layout.Blobs, "*.partial"));
    }

    [Fact]
    public async Task A_tags_last_known_resolution_goes_with_its_model_when_it_is_evicted()
    {
        var a = await PushAsync(95);
        using var cache = NewCache();
        var handle = await cache.AcquireAsync(new ModelRequest(a.Reference)).WaitAsync(Patience);
        Assert.Equal(handle.CacheKey, cache.Store.Records.FindResolution(a.Reference, null));

        using var limited = NewCache(maxSize: 1);
        Assert.Single(limited.CollectGarbage().Evicted);

        Assert.Null(limited.Store.Records.FindResolution(a.Reference, null));
    }

    [Fact]
    public async Task Concurrent_pulls_never_take_the_cache_past_its_limit_together()
    {
        var models = new List<string>();
        for (var seed = 101; seed < 107; seed++)
        {
            models.Add((await PushAsync(seed, weightBytes: 300_000)).Reference);
        }

        using var cache = NewCache(maxSize: 1_000_000);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    peak = Math.Max(peak, cache.MeasureCacheBytes());
                }
                catch (IOException)
                {
                    // A file renamed mid-walk; the next sample sees it.
                }

                await Task.Delay(1);
            }
        });

        // Every model is held as it arrives, so eviction cannot make room: only the room check can keep the limit.
        var pulls = models.Select((reference, i) => Task.Run(() => cache.AcquireAsync(new ModelRequest(reference) { Holder = LeaseHolder.Volume($"vol-{i}", "/pods/x") }))).ToList();
        var outcomes = await Task.WhenAll(pulls.Select(async p =>
        {
            try
            {
                await p;
                return (FailureKind?)null;
            }
            catch (ModelPullException e)
            {
                return e.Kind;
            }
        }));
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, cache.MeasureCacheBytes());

        Assert.True(peak <= 1_000_000, $"the cache peaked at {peak} bytes");
        Assert.Contains(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal(FailureKind.InsufficientStorage, o));
    }

    [Fact]
    public async Task A_request_that_fails_before_any_pull_starts_is_counted_once_by_reason()
    {
        using var cache = NewCache();

        await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest($"{fixture.Registry.Host}/none/such:v1")).WaitAsync(Patience));
        await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest("Not A Reference")).WaitAsync(Patience));

        Assert.Equal(1, Value("modelcsi_pulls_failed_total{reason=\"NotFound\"}"));
        Assert.Equal(1, Value("modelcsi_pulls_failed_total{reason=\"InvalidArgument\"}"));
        Assert.Equal(0, Value("modelcsi_pulls_started_total"));
    }
}
