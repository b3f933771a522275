using ModelCsi.Core.Failures;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Mono.Unix.Native;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>Selective pulls against the real registry, through a proxy that counts what is fetched.</summary>
public sealed class SelectiveCacheTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-select");
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
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

    private string Root => _temp.Combine("root");

    private ModelCache NewCache(long maxSize = 0) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = Root, ReservedFreeBytes = 0, MaxSize = new ByteSize(maxSize) }),
            _client, new LayerUnpacker(), _time, NullLogger<ModelCache>.Instance);

    private static LayerSelection Select(params (string Key, string Value)[] attributes) =>
        LayerSelection.FromAttributes(attributes.ToDictionary(a => a.Key, a => a.Value))!;

    private async Task<(string Reference, PackedModel Packed, Dictionary<string, byte[]> Files)> PushSampleAsync(int seed, LayerForm form = LayerForm.Raw)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(300_000, seed),
            ["config.json"] = Encoding.UTF8.GetBytes($"{{\"seed\": {seed}}}"),
            ["tokenizer/vocab.txt"] = Encoding.UTF8.GetBytes($"a\nb\n{seed}\n"),
            ["README.md"] = Encoding.UTF8.GetBytes($"# sample {seed}\n"),
        };
        var repository = OciTestContent.UniqueRepository("select");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files), new PackOptions { Form = form });
        return ($"{_proxy.Host}/{repository}:v1", packed, files);
    }

    private static OciDescriptor LayerOf(PackedModel packed, string path) =>
        packed.Manifest.Layers.Single(l => LayerSelection.FilePath(l) == path);

    private int Gets(OciDescriptor layer) => _proxy.CountRequests("GET", "/blobs/" + layer.Digest);

    private static List<string> FilesUnder(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();

    private static ulong Inode(string path) => Syscall.stat(path, out var stat) == 0 ? stat.st_ino : throw new IOException($"stat {path} failed");

    [Theory]
    [InlineData(LayerForm.Raw)]
    [InlineData(LayerForm.Tar)]
    public async Task A_selection_downloads_only_the_selected_layers_and_assembles_only_their_files(LayerForm form)
    {
        var (reference, packed, files) = await PushSampleAsync(1, form);
        var selection = Select(("includePatterns", """["*.json", "tokenizer/**"]"""));
        using var cache = NewCache();

        var handle = await cache.AcquireAsync(new ModelRequest(reference) { Selection = selection }).WaitAsync(Patience);

        Assert.Equal(["config.json", "tokenizer/vocab.txt"], FilesUnder(handle.ModelPath));
        Assert.Equal(files["config.json"], File.ReadAllBytes(Path.Combine(handle.ModelPath, "config.json")));
        Assert.Equal(1, Gets(LayerOf(packed, "config.json")));
        Assert.Equal(1, Gets(LayerOf(packed, "tokenizer/vocab.txt")));
        Assert.Equal(0, Gets(LayerOf(packed, "model.safetensors")));
        Assert.Equal(0, Gets(LayerOf(packed, "README.md")));
        Assert.Equal(packed.ManifestDigest, handle.ManifestDigest);
        Assert.Equal($"{packed.ManifestDigest}+{selection.CacheKey}", handle.CacheKey);
        Assert.Equal(cache.Layout.Model(handle.CacheKey), handle.ModelPath);
        Assert.False(Directory.Exists(cache.Layout.Model(packed.ManifestDigest)));
    }

    [Fact]
    public async Task A_subset_and_the_whole_model_are_cached_apart_and_share_blobs_and_inodes()
    {
        var (reference, packed, files) = await PushSampleAsync(2);
        var selection = Select(("excludePatterns", "*.safetensors"));
        using var cache = NewCache();

        var subset = await cache.AcquireAsync(new ModelRequest(reference) { Selection = selection }).WaitAsync(Patience);
        var whole = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        var subsetAgain = await cache.AcquireAsync(new ModelRequest(reference) { Selection = selection }).WaitAsync(Patience);

        Assert.NotEqual(subset.ModelPath, whole.ModelPath);
        Assert.Equal(subset.ModelPath, subsetAgain.ModelPath);
        Assert.Equal(packed.ManifestDigest, whole.CacheKey);
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal).ToList(), FilesUnder(whole.ModelPath));
        Assert.DoesNotContain("model.safetensors", FilesUnder(subset.ModelPath));
        // Every blob was fetched once: the whole model only added the weights the subset left out.
        Assert.All(packed.Manifest.Layers, l => Assert.Equal(1, Gets(l)));
        Assert.Equal(Inode(Path.Combine(subset.ModelPath, "config.json")), Inode(Path.Combine(whole.ModelPath, "config.json")));
        var records = cache.ListModels();
        Assert.Equal(2, records.Count);
        var subsetRecord = Assert.Single(records, r => r.Selection is not null);
        Assert.Equal(subset.CacheKey, subsetRecord.Key);
        Assert.Equal(3, subsetRecord.Layers.Count);
        Assert.Equal(packed.Manifest.Layers.Sum(l => l.Size) - LayerOf(packed, "model.safetensors").Size, subsetRecord.Size);
    }

    [Fact]
    public async Task A_selection_that_matches_nothing_fails_as_an_invalid_selection_listing_the_model_paths_and_fetches_no_blob()
    {
        var (reference, packed, _) = await PushSampleAsync(3);
        using var cache = NewCache();

        var error = await Assert.ThrowsAsync<ModelPullException>(() =>
            cache.AcquireAsync(new ModelRequest(reference) { Selection = Select(("includePatterns", "*.onnx")) }).WaitAsync(Patience));

        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
        Assert.Contains("*.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("matches nothing in", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        Assert.All(packed.Manifest.Layers, l => Assert.Equal(0, Gets(l)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Models));
    }

    [Fact]
    public async Task Excluding_weights_goes_by_media_type_even_when_file_names_suggest_otherwise()
    {
        var repository = OciTestContent.UniqueRepository("select");
        var gguf = OciTestContent.RandomBytes(200_000, 4);
        var tiktoken = Encoding.UTF8.GetBytes("IQ== 0\nIg== 1\n");
        var (_, layers) = await HandPackedModel.PushAsync(fixture.Registry.Host, repository, "v1",
        [
            new HandPackedFile("tiktoken.model", "application/vnd.cncf.model.weight.config.v1.raw", tiktoken),
            new HandPackedFile("model.gguf", "application/vnd.cncf.model.weight.v1.raw", gguf),
            new HandPackedFile("weights/part.bin.txt", "application/vnd.cncf.model.weight.v1.raw", OciTestContent.RandomBytes(1_000, 5)),
        ]);
        using var cache = NewCache();

        var handle = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:v1") { Selection = Select(("excludeWeights", "true")) }).WaitAsync(Patience);

        Assert.Equal(["tiktoken.model"], FilesUnder(handle.ModelPath));
        Assert.Equal(tiktoken, File.ReadAllBytes(Path.Combine(handle.ModelPath, "tiktoken.model")));
        Assert.Equal(0, Gets(layers["model.gguf"]));
        Assert.Equal(0, Gets(layers["weights/part.bin.txt"]));
        Assert.Equal(1, Gets(layers["tiktoken.model"]));
    }

    [Fact]
    public async Task A_subset_survives_reconciliation_and_eviction_while_in_use_and_keeps_the_blobs_it_shares()
    {
        var (reference, packed, _) = await PushSampleAsync(6);
        var selection = Select(("excludeWeights", "true"));
        string subsetKey;
        using (var first = NewCache())
        {
            subsetKey = (await first.AcquireAsync(new ModelRequest(reference) { Selection = selection }).WaitAsync(Patience)).CacheKey;
            await first.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        }

        // A restart reconciles; the subset directory is known by its record, not taken for debris.
        using var cache = NewCache(maxSize: 100_000);
        Assert.True(cache.TryAcquire(reference, subsetKey, null, out _));
        var lease = cache.Acquire(subsetKey, LeaseHolder.Volume("vol-subset", "/target/subset"));

        var result = cache.CollectGarbage();

        var evicted = Assert.Single(result.Evicted);
        Assert.Equal(packed.ManifestDigest, evicted.Key);
        Assert.False(Directory.Exists(cache.Layout.Model(packed.ManifestDigest)));
        Assert.False(File.Exists(cache.Layout.Blob(LayerOf(packed, "model.safetensors").Digest)));
        var subsetPath = cache.Layout.Model(subsetKey);
        Assert.Equal(["README.md", "config.json", "tokenizer/vocab.txt"], FilesUnder(subsetPath));
        Assert.True(File.Exists(cache.Layout.Blob(LayerOf(packed, "config.json").Digest)));
        Assert.True(File.Exists(cache.Layout.Blob(packed.ManifestDigest)));

        // Released, the subset is evicted like any model, record and all.
        lease.Dispose();
        var later = new ModelCache(
            Options.Create(new ModelCacheOptions { RootDirectory = Root, ReservedFreeBytes = 0, MaxSize = new ByteSize(1) }),
            _client, new LayerUnpacker(), _time, NullLogger<ModelCache>.Instance);
        using (later)
        {
            Assert.Equal(subsetKey, Assert.Single(later.CollectGarbage().Evicted).Key);
        }

        Assert.False(Directory.Exists(subsetPath));
        Assert.False(File.Exists(cache.Layout.ModelRecord(subsetKey)));
    }

    [Fact]
    public async Task Reconciliation_removes_a_subset_directory_whose_record_is_gone_and_keeps_the_whole_model()
    {
        var (reference, packed, files) = await PushSampleAsync(7);
        string subsetKey;
        using (var first = NewCache())
        {
            subsetKey = (await first.AcquireAsync(new ModelRequest(reference) { Selection = Select(("includePatterns", "*.md")) }).WaitAsync(Patience)).CacheKey;
            await first.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
            File.Delete(first.Layout.ModelRecord(subsetKey));
        }

        using var cache = NewCache();

        Assert.False(Directory.Exists(cache.Layout.Model(subsetKey)));
        Assert.True(cache.TryAcquire(reference, packed.ManifestDigest, null, out var whole));
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal).ToList(), FilesUnder(whole.ModelPath));
        Assert.Equal(packed.ManifestDigest, Assert.Single(cache.ListModels()).Key);
    }
}
