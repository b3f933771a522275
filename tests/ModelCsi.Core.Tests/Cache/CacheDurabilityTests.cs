using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// What a pull puts in place is on disk first: the durability calls, recorded with what was visible when each
/// was made, come before the layer, blob and model record they protect.
/// </summary>
public sealed class CacheDurabilityTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int WeightBytes = 300_000;
    private readonly TempDirectory _temp = new("modelcsi-durable");

    public void Dispose() => _temp.Dispose();

    private async Task<(string Reference, PackedModel Packed, SnapshottingFileSync Sync, ModelHandle Handle, CacheLayout Layout)> PullAsync(LayerForm form)
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(WeightBytes, 40 + (int)form) };
        var repository = OciTestContent.UniqueRepository("durable");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Combine("src"), files), new PackOptions { Form = form });
        var options = new ModelCacheOptions { RootDirectory = _temp.Combine("root"), ReservedFreeBytes = 0 };
        var layout = new CacheLayout(options.RootDirectory);
        layout.CreateDirectories();
        var sync = new SnapshottingFileSync(layout);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = new ModelCache(Options.Create(options), client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance, fileSync: sync);
        var reference = $"{fixture.Registry.Host}/{repository}:v1";
        var handle = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        Assert.Equal(files["model.safetensors"], await File.ReadAllBytesAsync(Path.Combine(handle.ModelPath, "model.safetensors")));
        return (reference, packed, sync, handle, layout);
    }

    [Theory]
    [InlineData(LayerForm.Tar)]
    [InlineData(LayerForm.TarGzip)]
    [InlineData(LayerForm.TarZstd)]
    public async Task A_tar_layer_is_renamed_into_place_only_after_a_filesystem_sync_that_covers_its_unpacked_files(LayerForm form)
    {
        var (_, packed, sync, _, layout) = await PullAsync(form);
        var key = LayerContent.LayerKey(packed.Manifest.Layers.Single());
        var calls = sync.Calls;

        var firstInPlace = calls.ToList().FindIndex(c => c.LayersInPlace.Contains(key));
        Assert.True(firstInPlace > 0, "the layer directory appeared after a sync call");
        var syncfs = calls.Take(firstInPlace).LastOrDefault(c => c.Kind == "syncfs");
        Assert.NotNull(syncfs);
        Assert.Equal(layout.Root, syncfs.Path);
        // At that sync every unpacked byte was already written in tmp/.
        Assert.True(syncfs.TempBytes >= WeightBytes, $"{syncfs.TempBytes} bytes in tmp/ at the sync");
        // The rename itself is made durable by syncing layers/.
        Assert.Equal(("syncdir", layout.Layers), (calls[firstInPlace].Kind, calls[firstInPlace].Path));
        Assert.True(Directory.Exists(layout.Layer(key)));
    }

    [Fact]
    public async Task A_raw_blob_is_renamed_into_place_only_after_its_data_is_synced_and_the_rename_is_synced_too()
    {
        var (_, packed, sync, _, layout) = await PullAsync(LayerForm.Raw);
        var layer = packed.Manifest.Layers.Single();
        var hex = Digest.Hex(layer.Digest);
        var calls = sync.Calls.ToList();

        var dataSync = calls.FindIndex(c => c.Kind == "datasync" && c.Length == layer.Size);
        var firstInPlace = calls.FindIndex(c => c.BlobsInPlace.Contains(hex));
        Assert.True(dataSync >= 0, "the blob's data was synced");
        Assert.True(dataSync < firstInPlace, $"datasync at {dataSync}, blob in place first seen at {firstInPlace}");
        Assert.Equal(("syncdir", layout.Blobs), (calls[firstInPlace].Kind, calls[firstInPlace].Path));
        Assert.False(File.Exists(layout.PartialBlob(layer.Digest)));
    }

    [Theory]
    [InlineData(LayerForm.Raw)]
    [InlineData(LayerForm.Tar)]
    public async Task The_model_record_is_written_only_after_every_layer_blob_and_the_manifest_were_synced(LayerForm form)
    {
        var (_, packed, sync, _, layout) = await PullAsync(form);
        var calls = sync.Calls;

        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.False(c.ModelRecordExists, $"a model record existed at the {c.Kind} of {c.Path}"));
        // The last syncs made the manifest (the record names it) and the config durable before the record.
        var last = calls[^1];
        Assert.Contains(Digest.Hex(packed.ManifestDigest), last.BlobsInPlace);
        Assert.Contains(Digest.Hex(packed.Manifest.Config.Digest), last.BlobsInPlace);
        Assert.True(File.Exists(layout.ModelRecord(packed.ManifestDigest)));
    }
}
