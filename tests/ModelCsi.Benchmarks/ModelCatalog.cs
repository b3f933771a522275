using System.Text;
using System.Text.Json;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;

namespace ModelCsi.Benchmarks;

/// <summary>
/// Writes and pushes the benchmark's models, one per layer form: one raw layer, eight raw layers,
/// plain tar, tar+gzip and tar+zstd (half-compressible content), one tar layer of many small files,
/// and a small model for warm publishes. Sources are written in <paramref name="scratch"/> and deleted.
/// </summary>
public sealed class ModelCatalog(BenchmarkOptions options, string registryHost, string scratch)
{
    public const string RawOne = "raw, one layer";
    public const string RawEight = "raw, eight layers";
    public const string PlainTar = "plain tar";
    public const string Gzip = "tar+gzip";
    public const string Zstd = "tar+zstd";
    public const string SmallFiles = "small files, one tar layer";

    public async Task<IReadOnlyList<BenchModel>> PushAllAsync(CancellationToken cancellationToken = default)
    {
        return
        [
            await PushRawOneAsync(cancellationToken),
            await PushWeightsAsync(RawEight, "bench/raw8", 8, options.RawBytes, LayerForm.Raw, cancellationToken),
            await PushWeightsAsync(PlainTar, "bench/tar", 1, options.TarBytes, LayerForm.Tar, cancellationToken),
            await PushWeightsAsync(Gzip, "bench/gzip", 1, options.TarBytes, LayerForm.TarGzip, cancellationToken),
            await PushWeightsAsync(Zstd, "bench/zstd", 1, options.TarBytes, LayerForm.TarZstd, cancellationToken),
            await PushSmallFilesAsync(cancellationToken),
        ];
    }

    /// <summary>Only the one-raw-layer model: what the <c>--baseline</c> comparison pulls.</summary>
    public Task<BenchModel> PushRawOneAsync(CancellationToken cancellationToken = default) =>
        PushWeightsAsync(RawOne, "bench/raw1", 1, options.RawBytes, LayerForm.Raw, cancellationToken);

    /// <summary>A 1 MiB model for warm publishes: its size does not matter to a bind mount.</summary>
    public Task<BenchModel> PushWarmAsync(CancellationToken cancellationToken = default) =>
        PushWeightsAsync("warm", "bench/warm", 1, 1 << 20, LayerForm.Raw, cancellationToken);

    private async Task<BenchModel> PushWeightsAsync(string name, string repository, int files, long bytes, LayerForm form, CancellationToken cancellationToken)
    {
        var source = Path.Combine(scratch, repository.Replace('/', '-'));
        Progress($"writing and pushing '{name}' ({bytes / (double)(1 << 20):F0} MiB in {files} file(s), {form})");
        await RandomModelWriter.WriteWeightsAsync(source, files, bytes, compressible: form is LayerForm.TarGzip or LayerForm.TarZstd, seed: repository.Length * 7919, cancellationToken);
        try
        {
            var packed = await TestModels.PushAsync(registryHost, repository, "v1", source, new PackOptions { Form = form });
            var content = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            return new BenchModel(name, registryHost, repository, packed.ManifestDigest, packed.Manifest.Layers, content, files + 1);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    private async Task<BenchModel> PushSmallFilesAsync(CancellationToken cancellationToken)
    {
        const string repository = "bench/small";
        Progress($"writing and pushing '{SmallFiles}' ({options.SmallFiles} files)");
        var source = Path.Combine(scratch, "small");
        var blobPath = Path.Combine(scratch, "small.tar");
        var content = RandomModelWriter.WriteSmallFiles(source, options.SmallFiles, 42);
        try
        {
            await ExternalCommand.RunAsync("tar", ["-cf", blobPath, "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", source, "files"], cancellationToken);
            var layer = new OciDescriptor
            {
                MediaType = "application/vnd.cncf.model.code.v1.tar",
                Digest = await Digest.OfFileAsync(blobPath, cancellationToken),
                Size = new FileInfo(blobPath).Length,
                Annotations = new Dictionary<string, string> { ["org.cncf.model.filepath"] = "files" },
            };
            var manifestDigest = await PushManifestAsync(repository, [(layer, blobPath)], cancellationToken);
            return new BenchModel(SmallFiles, registryHost, repository, manifestDigest, [layer], content, options.SmallFiles);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
            File.Delete(blobPath);
        }
    }

    /// <summary>Pushes layers streamed from files, a ModelPack config and the manifest under tag v1.</summary>
    private async Task<string> PushManifestAsync(string repository, IReadOnlyList<(OciDescriptor Layer, string Path)> layers, CancellationToken cancellationToken)
    {
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            descriptor = new { name = repository },
            config = new { },
            modelfs = new { type = "layers", diffIds = layers.Select(l => l.Layer.Digest).ToArray() },
        }));
        var configDescriptor = OciTestContent.Describe(config, ModelPackMediaTypes.CncfConfig);
        var manifest = OciTestContent.Manifest(configDescriptor, layers.Select(l => l.Layer).ToList());
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:v1"));
        foreach (var (layer, path) in layers)
        {
            await using var stream = File.OpenRead(path);
            await repo.PushBlobAsync(layer, stream, cancellationToken);
        }

        await using (var stream = new MemoryStream(config))
        {
            await repo.PushBlobAsync(configDescriptor, stream, cancellationToken);
        }

        await repo.PushManifestAsync("v1", OciMediaTypes.ImageManifest, manifest, cancellationToken);
        return Digest.Of(manifest);
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");
}
