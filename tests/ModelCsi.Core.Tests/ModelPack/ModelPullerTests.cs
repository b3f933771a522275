using System.Text;
using System.Text.Json;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class ModelPullerTests : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly RegistryFixture _fixture;
    private readonly TempDirectory _temp = new("modelcsi-puller");
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());
    private readonly string _source;

    public ModelPullerTests(RegistryFixture fixture)
    {
        _fixture = fixture;
        _source = _temp.Combine("source");
        Write("model-00001-of-00002.safetensors", OciTestContent.RandomBytes(300_000, 1));
        Write("model-00002-of-00002.safetensors", OciTestContent.RandomBytes(70_000, 2));
        Write("config.json", Encoding.UTF8.GetBytes("{\"architectures\":[\"TinyMLP\"]}"));
        Write("tokenizer/vocab.json", Encoding.UTF8.GetBytes("{\"a\":1}"));
        Write("tokenizer/nested/merges.txt", Encoding.UTF8.GetBytes("a b\n"));
        Write("README.md", Encoding.UTF8.GetBytes("# tiny\n"));
        Write("code/run.py", Encoding.UTF8.GetBytes("print('hi')\n"));
        Write("empty.txt", []);
    }

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    public static TheoryData<LayerForm> Forms => new() { LayerForm.Raw, LayerForm.Tar, LayerForm.TarGzip, LayerForm.TarZstd };

    private void Write(string relative, byte[] content)
    {
        var path = Path.Join(_source, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    private RepositoryClient Repository(string tagOrDigest, string? repository = null)
    {
        repository ??= OciTestContent.UniqueRepository("puller");
        var separator = tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal) ? "@" : ":";
        return _client.Repository(OciReference.Parse($"{_fixture.Registry.Host}/{repository}{separator}{tagOrDigest}"));
    }

    private Task<PackedModel> PackAsync(LayerForm form = LayerForm.Raw) =>
        new ModelPacker().PackAsync(_source, _temp.Combine("work-" + Guid.NewGuid().ToString("N")), new PackOptions { Form = form });

    private static void AssertSameTree(string expected, string actual)
    {
        static List<string> Files(string root) =>
            [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(root, path)).Order(StringComparer.Ordinal)];

        var expectedFiles = Files(expected);
        Assert.Equal(expectedFiles, Files(actual));
        foreach (var file in expectedFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Join(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(actual, file))), $"{file} differs");
        }
    }

    private string CorruptBlob(string digest)
    {
        var hex = Digest.Hex(digest);
        var path = Path.Join(_fixture.Registry.StoragePath, "docker/registry/v2/blobs/sha256", hex[..2], hex, "data");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Pushes an ordinary container image manifest (one gzip layer) and returns its descriptor.</summary>
    private static async Task<OciDescriptor> PushPlainImageAsync(RepositoryClient repository, string tagOrDigest)
    {
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.oci.image.config.v1+json");
        var layer = OciTestContent.RandomBytes(1000, 3);
        var layerDescriptor = OciTestContent.Describe(layer, "application/vnd.oci.image.layer.v1.tar+gzip");
        await repository.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repository.PushBlobAsync(layerDescriptor, new MemoryStream(layer));
        var manifest = ModelPackJson.WriteManifest(new OciManifest { MediaType = OciMediaTypes.ImageManifest, Config = configDescriptor, Layers = [layerDescriptor] });
        var digest = await repository.PushManifestAsync(tagOrDigest == "" ? Digest.Of(manifest) : tagOrDigest, OciMediaTypes.ImageManifest, manifest);
        return new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = digest, Size = manifest.Length };
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Push_then_pull_reproduces_every_file_byte_for_byte(LayerForm form)
    {
        var packed = await PackAsync(form);
        var repository = Repository("v1");
        await new ModelPusher().PushAsync(repository, packed);
        var destination = _temp.Combine("pulled", "model");

        var result = await new ModelPuller().PullAsync(repository, destination);

        AssertSameTree(_source, destination);
        Assert.Equal(packed.ManifestDigest, result.Model.ManifestDigest);
        Assert.Equal(8, result.FilesWritten);
        Assert.Equal(packed.Layers.Sum(layer => layer.Descriptor.Size), result.BytesDownloaded);
    }

    [Fact]
    public async Task Pushing_twice_gives_the_same_digest_and_the_second_push_uploads_nothing()
    {
        var repository = Repository("v1");
        var first = await new ModelPusher().PushAsync(repository, await PackAsync());
        var second = await new ModelPusher().PushAsync(repository, await PackAsync());

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(first.LayerCount + 1, first.BlobsUploaded);
        Assert.Equal(0, second.BlobsUploaded);
        Assert.Equal(0, second.BytesUploaded);
        Assert.Equal(second.LayerCount + 1, second.BlobsSkipped);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_corrupted_blob_fails_the_pull_and_leaves_no_destination_and_no_temp_directory(LayerForm form)
    {
        // Blobs are shared by every repository of the registry: corrupt one that no other test has.
        Write("unique.safetensors", OciTestContent.RandomBytes(200_000, Guid.NewGuid().GetHashCode()));
        var packed = await PackAsync(form);
        var repository = Repository("v1");
        await new ModelPusher().PushAsync(repository, packed);
        var weights = packed.Layers.Single(layer => layer.RelativePath == "unique.safetensors").Descriptor;
        CorruptBlob(weights.Digest);
        var parent = _temp.Combine("pulls");
        Directory.CreateDirectory(parent);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => new ModelPuller().PullAsync(repository, Path.Join(parent, "model")));

        Assert.Equal(weights.Digest, error.ExpectedDigest);
        Assert.Contains(weights.Digest, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public async Task A_plain_OCI_image_is_rejected_naming_its_type()
    {
        var repository = Repository("image");
        await PushPlainImageAsync(repository, "image");
        var parent = _temp.Combine("pulls");
        Directory.CreateDirectory(parent);

        var error = await Assert.ThrowsAsync<UnsupportedArtifactException>(() => new ModelPuller().PullAsync(repository, Path.Join(parent, "model")));

        Assert.Contains("application/vnd.oci.image.config.v1+json", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public async Task An_index_wrapping_the_model_is_followed()
    {
        var name = OciTestContent.UniqueRepository("puller");
        var packed = await PackAsync();
        await new ModelPusher().PushAsync(Repository(packed.ManifestDigest, name), packed);
        var tagged = Repository("v1", name);
        var image = await PushPlainImageAsync(tagged, "");
        var index = JsonSerializer.SerializeToUtf8Bytes(new OciIndex
        {
            MediaType = OciMediaTypes.ImageIndex,
            Manifests =
            [
                image with { Platform = new OciPlatform { Os = "linux", Architecture = "amd64" } },
                new OciDescriptor
                {
                    MediaType = OciMediaTypes.ImageManifest,
                    Digest = packed.ManifestDigest,
                    Size = packed.ManifestBytes.Length,
                    ArtifactType = ModelPackMediaTypes.CncfManifest,
                },
            ],
        });
        var indexDigest = await tagged.PushManifestAsync("v1", OciMediaTypes.ImageIndex, index);
        var destination = _temp.Combine("model");

        var result = await new ModelPuller().PullAsync(tagged, destination);

        Assert.Equal(indexDigest, result.Model.IndexDigest);
        Assert.Equal(packed.ManifestDigest, result.Model.ManifestDigest);
        AssertSameTree(_source, destination);
    }

    [Fact]
    public async Task A_destination_with_content_is_refused_and_left_alone()
    {
        var repository = Repository("v1");
        await new ModelPusher().PushAsync(repository, await PackAsync());
        var destination = _temp.Combine("occupied");
        Directory.CreateDirectory(destination);
        await File.WriteAllTextAsync(Path.Join(destination, "keep.txt"), "mine");

        var error = await Assert.ThrowsAsync<DestinationNotEmptyException>(() => new ModelPuller().PullAsync(repository, destination));

        Assert.Contains("not empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_empty_destination_directory_is_filled()
    {
        var repository = Repository("v1");
        await new ModelPusher().PushAsync(repository, await PackAsync());
        var destination = _temp.Combine("empty");
        Directory.CreateDirectory(destination);

        await new ModelPuller().PullAsync(repository, destination);

        AssertSameTree(_source, destination);
    }

    [Fact]
    public async Task Progress_reaches_the_total_and_reports_every_layer_once()
    {
        var packed = await PackAsync(LayerForm.TarGzip);
        var repository = Repository("v1");
        var pushProgress = new RecordingProgress();
        await new ModelPusher().PushAsync(repository, packed, pushProgress);
        var pullProgress = new RecordingProgress();

        await new ModelPuller().PullAsync(repository, _temp.Combine("model"), progress: pullProgress);

        var total = packed.Layers.Sum(layer => layer.Descriptor.Size);
        foreach (var reports in new[] { pushProgress.Reports.ToList(), pullProgress.Reports.ToList() })
        {
            var last = reports.MaxBy(report => (report.LayersCompleted, report.BytesTransferred));
            Assert.Equal(total, last.BytesTransferred);
            Assert.Equal(total, last.TotalBytes);
            Assert.Equal(packed.Layers.Count, last.LayersCompleted);
            Assert.Equal(
                packed.Layers.Select(layer => layer.Descriptor.Digest).Order(StringComparer.Ordinal),
                reports.Where(report => report.CompletedLayer is not null).Select(report => report.CompletedLayer!.Digest).Order(StringComparer.Ordinal));
        }
    }
}
