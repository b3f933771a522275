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

/// <summary>The node cache against the real registry, through a proxy that counts what is fetched.</summary>
public sealed class ModelCacheTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-cache");
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

    private ModelCache NewCache(string? root = null, long reservedFreeBytes = 0) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = root ?? _temp.Combine("root"), ReservedFreeBytes = reservedFreeBytes }),
            _client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance);

    private static Dictionary<string, byte[]> SampleFiles(int seed) => new()
    {
        ["model.safetensors"] = OciTestContent.RandomBytes(300_000, seed),
        ["config.json"] = Encoding.UTF8.GetBytes($"{{\"seed\": {seed}}}"),
        ["tokenizer/vocab.txt"] = Encoding.UTF8.GetBytes("a\nb\nc\n"),
        ["README.md"] = Encoding.UTF8.GetBytes("# sample\n"),
    };

    private async Task<(string Reference, PackedModel Packed, Dictionary<string, byte[]> Files)> PushSampleAsync(int seed, PackOptions? options = null, string? repository = null)
    {
        var files = SampleFiles(seed);
        repository ??= OciTestContent.UniqueRepository("cache");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files), options);
        return ($"{_proxy.Host}/{repository}:v1", packed, files);
    }

    private static void AssertSameFiles(Dictionary<string, byte[]> expected, string modelPath)
    {
        foreach (var (relative, content) in expected)
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(modelPath, relative)));
        }

        var actual = Directory.EnumerateFiles(modelPath, "*", SearchOption.AllDirectories).Count();
        Assert.Equal(expected.Count, actual);
    }

    private int BlobGets(PackedModel packed) =>
        packed.Manifest.Layers.Sum(l => _proxy.CountRequests("GET", "/blobs/" + l.Digest));

    [Theory]
    [InlineData(LayerForm.Raw)]
    [InlineData(LayerForm.Tar)]
    [InlineData(LayerForm.TarGzip)]
    [InlineData(LayerForm.TarZstd)]
    public async Task A_pulled_model_has_every_file_byte_for_byte_and_is_keyed_by_its_manifest_digest(LayerForm form)
    {
        var (reference, packed, files) = await PushSampleAsync(1, new PackOptions { Form = form });
        using var cache = NewCache();

        var handle = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        Assert.Equal(packed.ManifestDigest, handle.ManifestDigest);
        Assert.Equal(cache.Layout.Model(packed.ManifestDigest), handle.ModelPath);
        AssertSameFiles(files, handle.ModelPath);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Layout.Temp));
        Assert.Empty(Directory.EnumerateFiles(cache.Layout.Blobs, "*.partial"));
    }

    [Fact]
    public async Task Twenty_concurrent_requests_for_one_model_download_each_blob_once()
    {
        var (reference, packed, files) = await PushSampleAsync(2);
        using var cache = NewCache();

        var handles = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => cache.AcquireAsync(new ModelRequest(reference))))).WaitAsync(Patience);

        Assert.All(handles, h => Assert.Equal(packed.ManifestDigest, h.ManifestDigest));
        Assert.Equal(packed.Manifest.Layers.Count, BlobGets(packed));
        AssertSameFiles(files, handles[0].ModelPath);
    }

    [Fact]
    public async Task A_cached_model_is_served_again_without_downloading_any_blob()
    {
        var (reference, packed, _) = await PushSampleAsync(3);
        using var cache = NewCache();
        await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        var before = BlobGets(packed);

        await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        using var restarted = NewCache();
        await restarted.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        Assert.Equal(before, BlobGets(packed));
    }

    [Fact]
    public async Task A_digest_reference_to_a_cached_model_needs_no_registry_at_all()
    {
        var (reference, packed, _) = await PushSampleAsync(4);
        using var cache = NewCache();
        await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        var requests = _proxy.Requests.Count;

        var pinned = reference[..reference.LastIndexOf(':')] + "@" + packed.ManifestDigest;
        var handle = await cache.AcquireAsync(new ModelRequest(pinned)).WaitAsync(Patience);

        Assert.Equal(packed.ManifestDigest, handle.ManifestDigest);
        Assert.Equal(requests, _proxy.Requests.Count);
    }

    [Fact]
    public async Task Two_models_that_share_a_layer_share_its_bytes_on_disk()
    {
        var shared = OciTestContent.RandomBytes(200_000, 42);
        var repository = OciTestContent.UniqueRepository("share");
        var first = TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]> { ["model.safetensors"] = shared, ["config.json"] = "{\"a\":1}"u8.ToArray() });
        var second = TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]> { ["model.safetensors"] = shared, ["config.json"] = "{\"a\":2}"u8.ToArray() });
        await TestModels.PushAsync(fixture.Registry.Host, repository, "one", first);
        await TestModels.PushAsync(fixture.Registry.Host, repository, "two", second);
        using var cache = NewCache();

        var one = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:one")).WaitAsync(Patience);
        var two = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:two")).WaitAsync(Patience);

        Assert.NotEqual(one.ModelPath, two.ModelPath);
        Assert.Equal(0, Syscall.stat(Path.Combine(one.ModelPath, "model.safetensors"), out var a));
        Assert.Equal(0, Syscall.stat(Path.Combine(two.ModelPath, "model.safetensors"), out var b));
        Assert.Equal(a.st_ino, b.st_ino);
        Assert.Equal(1, _proxy.CountRequests("GET", "/blobs/" + Digest.Of(shared)));
    }

    [Fact]
    public async Task A_partial_download_left_by_a_crash_is_resumed_not_restarted()
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(2_000_000, 5) };
        var repository = OciTestContent.UniqueRepository("resume");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files));
        var layer = packed.Manifest.Layers.Single();
        var root = _temp.Combine("resume-root");
        var layout = new CacheLayout(root);
        layout.CreateDirectories();
        // What a killed driver leaves behind: the first 1.5 MB of the blob.
        File.WriteAllBytes(layout.PartialBlob(layer.Digest), files["model.safetensors"][..1_500_000]);
        using var cache = NewCache(root);

        var handle = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:v1")).WaitAsync(Patience);

        AssertSameFiles(files, handle.ModelPath);
        var get = Assert.Single(_proxy.Requests, r => r.Method == "GET" && r.Path.Contains(layer.Digest, StringComparison.Ordinal));
        Assert.StartsWith("bytes=1500000-", get.Range, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupted_partial_file_is_caught_by_the_digest_and_the_blob_is_fetched_again_from_the_start()
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(500_000, 6) };
        var repository = OciTestContent.UniqueRepository("badpartial");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files));
        var layer = packed.Manifest.Layers.Single();
        var root = _temp.Combine("badpartial-root");
        var layout = new CacheLayout(root);
        layout.CreateDirectories();
        // A torn write before a power loss: bytes that are not a prefix of the blob.
        File.WriteAllBytes(layout.PartialBlob(layer.Digest), new byte[100_000]);
        using var cache = NewCache(root);

        var handle = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:v1")).WaitAsync(Patience);

        AssertSameFiles(files, handle.ModelPath);
        // The resume did not verify; the bad bytes were thrown away and the blob fetched once more from byte 0.
        var gets = _proxy.Requests.Where(r => r.Method == "GET" && r.Path.Contains(layer.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.StartsWith("bytes=100000-", gets[0].Range, StringComparison.Ordinal);
        Assert.Null(gets[1].Range);
        Assert.False(File.Exists(layout.PartialBlob(layer.Digest)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(layout.Temp));
    }

    [Fact]
    public async Task A_blob_corrupted_in_the_registry_fails_with_DataCorrupted_naming_the_digest_and_leaves_nothing_visible()
    {
        var (reference, packed, _) = await PushSampleAsync(7);
        var weight = packed.Manifest.Layers.First(l => l.MediaType.Contains(".weight.v1", StringComparison.Ordinal));
        TestModels.CorruptBlobInStorage(fixture.Registry, weight.Digest);
        using var cache = NewCache();

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.DataCorrupted, error.Kind);
        Assert.Contains(weight.Digest, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cache.Layout.Model(packed.ManifestDigest)));
        Assert.Empty(cache.ListModels());
        Assert.False(File.Exists(cache.Layout.Blob(weight.Digest)));
    }

    [Fact]
    public async Task Failures_are_classified_for_the_CSI_layer()
    {
        using var cache = NewCache();
        var missing = $"{_proxy.Host}/{OciTestContent.UniqueRepository("none")}:v1";
        var deadPort = FreePort.Pick();

        var notFound = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(missing)));
        var invalid = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest("Not A Reference")));
        var unreachable = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest($"127.0.0.1:{deadPort}/m:v1")));

        Assert.Equal(FailureKind.NotFound, notFound.Kind);
        Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.InvalidArgument, invalid.Kind);
        Assert.Equal(FailureKind.Unavailable, unreachable.Kind);
    }

    [Fact]
    public async Task A_model_larger_than_the_free_disk_fails_with_InsufficientStorage_before_downloading()
    {
        var (reference, packed, _) = await PushSampleAsync(8);
        Assert.Equal(0, Syscall.statvfs(_temp.Path, out var fs));
        var free = (long)(fs.f_bavail * fs.f_frsize);
        // Reserve more than is free, with a margin no parallel test's cleanup can close.
        using var cache = NewCache(reservedFreeBytes: free + (1L << 40));

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(reference)));

        Assert.Equal(FailureKind.InsufficientStorage, error.Kind);
        Assert.Contains("needs", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, BlobGets(packed));
    }

    [Fact]
    public async Task A_plain_container_image_is_rejected_as_Unsupported_naming_its_type()
    {
        var repository = OciTestContent.UniqueRepository("image");
        var config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}"u8.ToArray();
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.oci.image.config.v1+json");
        var layer = OciTestContent.RandomBytes(1000, 9);
        var layerDescriptor = OciTestContent.Describe(layer, "application/vnd.oci.image.layer.v1.tar");
        var repo = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{repository}:v1"));
        await repo.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repo.PushBlobAsync(layerDescriptor, new MemoryStream(layer));
        var manifest = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new OciManifest
        {
            MediaType = OciMediaTypes.ImageManifest,
            Config = configDescriptor,
            Layers = [layerDescriptor],
        });
        await repo.PushManifestAsync("v1", OciMediaTypes.ImageManifest, manifest);
        using var cache = NewCache();

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:v1")));

        Assert.Equal(FailureKind.Unsupported, error.Kind);
        Assert.Contains("application/vnd.oci.image.config.v1+json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_moved_tag_resolves_to_the_new_model_under_Always_while_IfNotPresent_keeps_the_last_resolution_and_the_old_one_stays_cached()
    {
        var repository = OciTestContent.UniqueRepository("moving");
        var (reference, first, _) = await PushSampleAsync(10, repository: repository);
        using var cache = NewCache();
        var old = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        var (_, second, files) = await PushSampleAsync(11, repository: repository);
        var kept = await cache.AcquireAsync(new ModelRequest(reference) { PullPolicy = PullPolicy.IfNotPresent }).WaitAsync(Patience);
        var moved = await cache.AcquireAsync(new ModelRequest(reference) { PullPolicy = PullPolicy.Always }).WaitAsync(Patience);
        var followed = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        Assert.Equal(first.ManifestDigest, kept.ManifestDigest);
        Assert.Equal(second.ManifestDigest, followed.ManifestDigest);
        Assert.Equal(first.ManifestDigest, old.ManifestDigest);
        Assert.Equal(second.ManifestDigest, moved.ManifestDigest);
        AssertSameFiles(files, moved.ModelPath);
        Assert.True(Directory.Exists(old.ModelPath));
        Assert.Equal(2, cache.ListModels().Count);

        // After a restart the tag still follows its last resolution, read back from the records, and only the new model names it.
        using var restarted = NewCache();
        Assert.Equal(second.ManifestDigest, restarted.Store.Records.FindResolution(reference, null));
        Assert.Empty(restarted.Store.Records.Get(first.ManifestDigest)!.Tags ?? []);
    }

    [Fact]
    public async Task A_tar_layer_with_private_modes_and_a_directory_symlink_mounts_readable_with_the_link_kept()
    {
        var weights = OciTestContent.RandomBytes(10_000, 50);
        using var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "weights/") { Mode = (UnixFileMode)0b111_000_000 });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "weights/model.bin")
            {
                Mode = (UnixFileMode)0b110_000_000,
                DataStream = new MemoryStream(weights),
            });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "latest") { LinkName = "weights" });
        }

        var layerBytes = tar.ToArray();
        var layer = OciTestContent.Describe(layerBytes, "application/vnd.cncf.model.weight.v1.tar") with
        {
            Annotations = new Dictionary<string, string> { ["org.cncf.model.filepath"] = "weights" },
        };
        var config = "{}"u8.ToArray();
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.cncf.model.config.v1+json");
        var repository = OciTestContent.UniqueRepository("modes");
        var repo = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{repository}:v1"));
        await repo.PushBlobAsync(layer, new MemoryStream(layerBytes));
        await repo.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repo.PushManifestAsync("v1", OciMediaTypes.ImageManifest, OciTestContent.Manifest(configDescriptor, [layer]));
        using var cache = NewCache();

        var handle = await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}:v1")).WaitAsync(Patience);

        var file = Path.Combine(handle.ModelPath, "weights", "model.bin");
        Assert.Equal(weights, File.ReadAllBytes(file));
        Assert.True(File.GetUnixFileMode(file).HasFlag(UnixFileMode.OtherRead));
        Assert.False(File.GetUnixFileMode(file).HasFlag(UnixFileMode.OtherWrite));
        var directoryMode = File.GetUnixFileMode(Path.Combine(handle.ModelPath, "weights"));
        Assert.True(directoryMode.HasFlag(UnixFileMode.OtherRead) && directoryMode.HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal("weights", new FileInfo(Path.Combine(handle.ModelPath, "latest")).LinkTarget);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(handle.ModelPath, "latest", "model.bin")));
    }
}
