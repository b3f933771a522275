using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>Whole models through the real registry: a 1 GiB weight file, and artifacts laid out the way other tools write them.</summary>
[Collection(MemoryBoundCollection.Name)]
public sealed class ModelRoundTripTests(RegistryFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-roundtrip");
    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private RepositoryClient Repository(string name) =>
        _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{OciTestContent.UniqueRepository(name)}:v1"));

    [Fact]
    public async Task A_model_with_a_1_GiB_weight_file_round_trips_with_bounded_memory()
    {
        const long size = 1L << 30;
        var source = _temp.Combine("source");
        Directory.CreateDirectory(Path.Combine(source, "weights"));
        var weightPath = Path.Combine(source, "weights", "model.safetensors");
        string expectedHash;
        await using (var file = File.Create(weightPath))
        await using (var pattern = new PatternStream(size))
        {
            await pattern.CopyToAsync(file, 1 << 20);
        }

        await using (var written = File.OpenRead(weightPath))
        {
            expectedHash = Convert.ToHexString(await SHA256.HashDataAsync(written));
        }

        await File.WriteAllTextAsync(Path.Combine(source, "config.json"), "{\"model_type\":\"big\"}");
        var repository = Repository("big");
        // Live memory (after full collections), not the heap size: garbage from other tests, or from this one's
        // own streaming buffers, is not what a 1 GiB file held in memory would look like.
        await using var watch = LiveHeapWatch.StartSampling(TimeSpan.FromMilliseconds(250));
        var packed = await new ModelPacker().PackAsync(source, _temp.Combine("work"));
        await new ModelPusher().PushAsync(repository, packed);
        var destination = _temp.Combine("pulled");
        await new ModelPuller().PullAsync(repository, destination);
        watch.Sample();
        var rise = watch.PeakAboveBaseline;

        await using (var pulled = File.OpenRead(Path.Combine(destination, "weights", "model.safetensors")))
        {
            Assert.Equal(size, pulled.Length);
            Assert.Equal(expectedHash, Convert.ToHexString(await SHA256.HashDataAsync(pulled)));
        }

        // A client that buffered the file would pass 1 GiB; streaming stays far below.
        Assert.True(rise < 256L * 1024 * 1024, $"live managed memory rose by {rise >> 20} MiB");
    }

    [Fact]
    public async Task Artifacts_written_by_other_tools_pull_correctly()
    {
        // KitOps style: a directory as one tar+gzip layer with directory entries and uid 1000;
        // modctl style: raw and plain tar layers; a zstd tar; and the older cnai strings on one layer.
        var kitopsTree = LayerBlob.Gzip(LayerBlob.Tar(
            LayerBlob.Directory("docs/", TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.File("docs/guide.md", "# guide\n", format: TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.Directory("docs/img/", TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.File("docs/img/arch.txt", "diagram\n", format: TarEntryFormat.Gnu, uid: 1000)));
        var rawWeights = Encoding.UTF8.GetBytes("raw weight bytes");
        var tarConfig = LayerBlob.Tar(LayerBlob.File("config.json", "{\"a\":1}"));
        var zstdCode = LayerBlob.Zstd(LayerBlob.Tar(LayerBlob.File("src/run.py", "print(1)\n")));
        var cnaiRaw = Encoding.UTF8.GetBytes("cnai tokenizer");
        var layers = new (string MediaType, byte[] Blob, Dictionary<string, string> Annotations)[]
        {
            ("application/vnd.cncf.model.doc.v1.tar+gzip", kitopsTree, new() { ["org.cncf.model.filepath"] = "docs" }),
            ("application/vnd.cncf.model.weight.v1.raw", rawWeights, new() { ["org.cncf.model.filepath"] = "weights/model.bin" }),
            ("application/vnd.cncf.model.weight.config.v1.tar", tarConfig, new() { ["org.cncf.model.filepath"] = "config.json" }),
            ("application/vnd.cncf.model.code.v1.tar+zstd", zstdCode, new() { ["org.cncf.model.filepath"] = "src/run.py" }),
            ("application/vnd.cnai.model.weight.config.v1.raw", cnaiRaw, new() { ["org.cnai.model.filepath"] = "tokenizer.model" }),
        };
        var repository = Repository("foreign");
        var descriptors = new List<OciDescriptor>();
        foreach (var (mediaType, blob, annotations) in layers)
        {
            var descriptor = OciTestContent.Describe(blob, mediaType) with { Annotations = annotations };
            await repository.PushBlobAsync(descriptor, new MemoryStream(blob));
            descriptors.Add(descriptor);
        }

        var config = "{}"u8.ToArray();
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.cncf.model.config.v1+json");
        await repository.PushBlobAsync(configDescriptor, new MemoryStream(config));
        await repository.PushManifestAsync("v1", OciMediaTypes.ImageManifest, OciTestContent.Manifest(configDescriptor, descriptors));
        var destination = _temp.Combine("foreign");

        await new ModelPuller().PullAsync(repository, destination);

        Assert.Equal("# guide\n", await File.ReadAllTextAsync(Path.Combine(destination, "docs", "guide.md")));
        Assert.Equal("diagram\n", await File.ReadAllTextAsync(Path.Combine(destination, "docs", "img", "arch.txt")));
        Assert.Equal(rawWeights, await File.ReadAllBytesAsync(Path.Combine(destination, "weights", "model.bin")));
        Assert.Equal("{\"a\":1}", await File.ReadAllTextAsync(Path.Combine(destination, "config.json")));
        Assert.Equal("print(1)\n", await File.ReadAllTextAsync(Path.Combine(destination, "src", "run.py")));
        Assert.Equal(cnaiRaw, await File.ReadAllBytesAsync(Path.Combine(destination, "tokenizer.model")));
    }
}
