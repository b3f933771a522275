using System.Formats.Tar;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Tests.ModelPack;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// A driver stopped in the middle of a plain tar layer (a kill: its pipeline cancelled, nothing cleaned up)
/// continues on the next start from the layer's last checkpoint with a Range request, against the real
/// registry, and ends with the tree an uninterrupted pull gives.
/// </summary>
public sealed class TarLayerResumeTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly LayerFetchOptions Fetch = new() { BufferSize = 64 << 10, BufferCount = 4, WritebackInterval = 256 << 10, TarCheckpointInterval = 64 << 10 };
    private readonly TempDirectory _temp = new("modelcsi-tar-resume");
    private FaultProxy _proxy = null!;
    private RegistryClient _client = null!;

    public Task InitializeAsync()
    {
        _proxy = FaultProxy.Start(fixture.Registry.Host);
        _client = new RegistryClient(OciTestContent.QuickRetries());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_driver_killed_mid_layer_resumes_the_tar_from_its_checkpoint_and_downloads_only_the_rest()
    {
        var (reference, layer) = await PushManyFileLayerAsync();
        var expected = await ReferenceTreeAsync(reference, layer);
        var root = _temp.Combine("root");

        var resumedAt = await KillMidLayerAsync(root, reference, layer);
        _proxy.ResetResponseBytes();
        var before = _proxy.Requests.Count;
        using var restarted = NewCache(root);
        await restarted.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        var get = Assert.Single(_proxy.Requests.Skip(before), r => r.Method == "GET" && r.Path.Contains(layer.Digest, StringComparison.Ordinal));
        Assert.StartsWith($"bytes={resumedAt}-", get.Range, StringComparison.Ordinal);
        Assert.True(_proxy.ResponseBytes < layer.Size, $"{_proxy.ResponseBytes} bytes sent for a {layer.Size}-byte layer");
        Assert.Equal(expected, TreeSnapshot.Of(restarted.Layout.Layer(LayerContent.LayerKey(layer))));
        Assert.False(Directory.Exists(restarted.Layout.PartialLayer(LayerContent.LayerKey(layer))));
    }

    [Fact]
    public async Task A_registry_that_ignores_range_still_gives_the_same_tree_after_a_resume()
    {
        var (reference, layer) = await PushManyFileLayerAsync();
        var expected = await ReferenceTreeAsync(reference, layer);
        var root = _temp.Combine("root");
        await KillMidLayerAsync(root, reference, layer);
        _proxy.StripRangeHeaders = true;

        using var restarted = NewCache(root);
        await restarted.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        Assert.Equal(expected, TreeSnapshot.Of(restarted.Layout.Layer(LayerContent.LayerKey(layer))));
    }

    [Fact]
    public async Task A_tampered_checkpoint_makes_the_layer_start_over_from_byte_zero_and_still_end_right()
    {
        var (reference, layer) = await PushManyFileLayerAsync();
        var expected = await ReferenceTreeAsync(reference, layer);
        var root = _temp.Combine("root");
        var resumedAt = await KillMidLayerAsync(root, reference, layer);
        var checkpointPath = Path.Combine(new CacheLayout(root).PartialLayer(LayerContent.LayerKey(layer)), "checkpoint");
        var checkpoint = JsonNode.Parse(File.ReadAllText(checkpointPath))!.AsObject();
        var state = Convert.FromBase64String(checkpoint["HashState"]!.GetValue<string>());
        state[5] ^= 0x40;
        checkpoint["HashState"] = Convert.ToBase64String(state);
        File.WriteAllText(checkpointPath, checkpoint.ToJsonString());
        var before = _proxy.Requests.Count;

        using var restarted = NewCache(root);
        await restarted.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        var gets = _proxy.Requests.Skip(before).Where(r => r.Method == "GET" && r.Path.Contains(layer.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.StartsWith($"bytes={resumedAt}-", gets[0].Range, StringComparison.Ordinal);
        Assert.Null(gets[1].Range);
        Assert.Equal(expected, TreeSnapshot.Of(restarted.Layout.Layer(LayerContent.LayerKey(layer))));
    }

    private ModelCache NewCache(string root) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = root, ReservedFreeBytes = 0, Fetch = Fetch }),
            _client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance);

    /// <summary>Pulls through a slowed proxy and stops the cache once a checkpoint well into the layer is on disk; returns its offset.</summary>
    private async Task<long> KillMidLayerAsync(string root, string reference, OciDescriptor layer)
    {
        var partial = new CacheLayout(root).PartialLayer(LayerContent.LayerKey(layer));
        var checkpoint = Path.Combine(partial, "checkpoint");
        _proxy.BytesPerSecond = 1_000_000;
        long offset;
        var cache = NewCache(root);
        try
        {
            var pull = cache.AcquireAsync(new ModelRequest(reference));
            offset = await Eventually.ValueAsync(() => OffsetOf(checkpoint) ?? 0, at => at >= 400_000, Patience);
            Assert.True(offset >= 400_000, $"a checkpoint past 400 kB appeared (last at {offset})");
            cache.Dispose();
            await Assert.ThrowsAnyAsync<Exception>(() => pull.WaitAsync(Patience));
            await cache.Store.Downloads.WhenIdleAsync().WaitAsync(Patience);
        }
        finally
        {
            cache.Dispose();
            _proxy.BytesPerSecond = 0;
        }

        Assert.False(Directory.Exists(cache.Layout.Layer(LayerContent.LayerKey(layer))), "the layer was not complete when the driver stopped");
        // The last checkpoint written before the stop is the one the next start resumes from.
        return OffsetOf(checkpoint) ?? offset;
    }

    private static long? OffsetOf(string checkpoint)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(checkpoint))?["Offset"]?.GetValue<long>();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<string> ReferenceTreeAsync(string reference, OciDescriptor layer)
    {
        using var cache = NewCache(_temp.Combine("reference"));
        await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        return TreeSnapshot.Of(cache.Layout.Layer(LayerContent.LayerKey(layer)));
    }

    /// <summary>One plain tar layer of 300 files (about 2.4 MB) in 10 directories, with symlinks and hard links.</summary>
    private async Task<(string Reference, OciDescriptor Layer)> PushManyFileLayerAsync()
    {
        var entries = new List<TarEntry>();
        var mtime = new DateTimeOffset(2022, 6, 1, 0, 0, 0, TimeSpan.Zero);
        for (var d = 0; d < 10; d++)
        {
            var directory = LayerBlob.Directory($"part{d}/");
            directory.ModificationTime = mtime.AddHours(d);
            entries.Add(directory);
        }

        for (var i = 0; i < 300; i++)
        {
            var file = LayerBlob.File($"part{i % 10}/shard-{i:D4}.bin", string.Empty, i % 7 == 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
            file.DataStream = new MemoryStream(OciTestContent.RandomBytes(4000 + (i * 37 % 8000), i));
            file.ModificationTime = mtime.AddMinutes(i);
            entries.Add(file);
            if (i % 50 == 3)
            {
                entries.Add(LayerBlob.Link(TarEntryType.SymbolicLink, $"part{i % 10}/latest-{i}", $"shard-{i:D4}.bin"));
                entries.Add(LayerBlob.Link(TarEntryType.HardLink, $"part{(i + 1) % 10}/copy-{i}", $"part{i % 10}/shard-{i:D4}.bin"));
            }
        }

        var bytes = LayerBlob.Tar(entries, recordPadding: true);
        var layer = OciTestContent.Describe(bytes, "application/vnd.cncf.model.weight.v1.tar");
        var config = "{}"u8.ToArray();
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.cncf.model.config.v1+json");
        var repository = OciTestContent.UniqueRepository("tarresume");
        var repo = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{repository}:v1"));
        await repo.PushBlobAsync(layer, new MemoryStream(bytes));
        await repo.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repo.PushManifestAsync("v1", OciMediaTypes.ImageManifest, OciTestContent.Manifest(configDescriptor, [layer]));
        return ($"{_proxy.Host}/{repository}:v1", layer);
    }
}
