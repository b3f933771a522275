using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.State;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

/// <summary><c>modelcsi cache ls|gc</c> on a root directory filled by the real cache.</summary>
public sealed class CacheCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-cli-cache");

    public void Dispose() => _temp.Dispose();

    private async Task<(string Reference, string Digest)> PushAsync(int seed)
    {
        var repository = OciTestContent.UniqueRepository("clicache");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(100_000, seed) };
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Path, files));
        return ($"{fixture.Registry.Host}/{repository}:v1", packed.ManifestDigest);
    }

    [Fact]
    public async Task Cache_ls_lists_models_with_use_counts_and_gc_evicts_only_the_unused_one()
    {
        var root = _temp.Combine("root");
        var unused = await PushAsync(80);
        var used = await PushAsync(81);
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        using (var client = new RegistryClient(OciTestContent.QuickRetries()))
        using (var cache = new ModelCache(Options.Create(new ModelCacheOptions { RootDirectory = root, ReservedFreeBytes = 0 }), client, new LayerUnpacker(), time, NullLogger<ModelCache>.Instance))
        {
            await cache.AcquireAsync(new ModelRequest(unused.Reference));
            time.Advance(TimeSpan.FromMinutes(1));
            await cache.AcquireAsync(new ModelRequest(used.Reference));
        }

        var volumes = new PublishedVolumeStore(root, NullLogger<PublishedVolumeStore>.Instance);
        await volumes.SaveAsync(new PublishedVolume
        {
            VolumeId = "vol-1",
            TargetPath = "/pods/p/mount",
            Reference = used.Reference,
            CacheKey = used.Digest,
            SourcePath = "/unused",
            PublishedAt = DateTimeOffset.UtcNow,
        });

        var ls = await CliRun.RunAsync("cache", "ls", "--root-dir", root);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Contains(ls.Out.Split('\n'), l => l.Contains(used.Digest, StringComparison.Ordinal) && l.Split('\t')[4] == "1");
        Assert.Contains(ls.Out.Split('\n'), l => l.Contains(unused.Digest, StringComparison.Ordinal) && l.Split('\t')[4] == "0");
        Assert.Contains("2 models", ls.Out, StringComparison.Ordinal);

        var dryRun = await CliRun.RunAsync("cache", "gc", "--root-dir", root, "--max-size", "1", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"would evict {unused.Reference} {unused.Digest}", dryRun.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(used.Digest, dryRun.Out, StringComparison.Ordinal);
        Assert.Contains("2 models", (await CliRun.RunAsync("cache", "ls", "--root-dir", root)).Out, StringComparison.Ordinal);

        var gc = await CliRun.RunAsync("cache", "gc", "--root-dir", root, "--max-size", "1");
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.Contains($"evicted {unused.Reference} {unused.Digest}", gc.Out, StringComparison.Ordinal);
        var after = await CliRun.RunAsync("cache", "ls", "--root-dir", root);
        Assert.Contains("1 models", after.Out, StringComparison.Ordinal);
        Assert.Contains(used.Digest, after.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(unused.Digest, after.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_gc_never_evicts_a_model_mounted_into_a_dynamic_volume()
    {
        var root = _temp.Combine("root-dynamic");
        var mounted = await PushAsync(90);
        using (var client = new RegistryClient(OciTestContent.QuickRetries()))
        using (var cache = new ModelCache(Options.Create(new ModelCacheOptions { RootDirectory = root, ReservedFreeBytes = 0 }), client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance))
        {
            await cache.AcquireAsync(new ModelRequest(mounted.Reference));
        }

        // What the driver writes for a dynamic volume with one ready mount.
        Directory.CreateDirectory(Path.Combine(root, "dynamic"));
        await File.WriteAllTextAsync(
            Path.Combine(root, "dynamic", "0123456789abcdef.json"),
            $"[{{\"name\":\"llm\",\"reference\":\"{mounted.Reference}\",\"manifestDigest\":\"{mounted.Digest}\",\"state\":\"ready\"}}]");

        var ls = await CliRun.RunAsync("cache", "ls", "--root-dir", root);
        var gc = await CliRun.RunAsync("cache", "gc", "--root-dir", root, "--max-size", "1");

        Assert.Contains(ls.Out.Split('\n'), l => l.Contains(mounted.Digest, StringComparison.Ordinal) && l.Split('\t')[4] == "1");
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.DoesNotContain($"evicted {mounted.Reference}", gc.Out, StringComparison.Ordinal);
        Assert.Contains("evicted 0 models", gc.Out, StringComparison.Ordinal);
        Assert.Contains(mounted.Digest, (await CliRun.RunAsync("cache", "ls", "--root-dir", root)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_ls_names_the_ModelCache_pinning_a_model_and_gc_keeps_it()
    {
        var pinned = await PushAsync(9);
        var root = _temp.Combine("root-pins");
        using (var client = new RegistryClient(OciTestContent.QuickRetries()))
        using (var cache = new ModelCache(Options.Create(new ModelCacheOptions { RootDirectory = root, ReservedFreeBytes = 0 }), client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance))
        {
            await cache.AcquireAsync(new ModelRequest(pinned.Reference));
        }

        PinFile.Write(PinFile.PathFor(root), new Dictionary<string, string> { ["modelcache/llama"] = pinned.Digest });

        var ls = await CliRun.RunAsync("cache", "ls", "--root-dir", root);
        var gc = await CliRun.RunAsync("cache", "gc", "--root-dir", root, "--max-size", "1");

        Assert.Contains(ls.Out.Split('\n'), l => l.Contains(pinned.Digest, StringComparison.Ordinal) && l.TrimEnd().EndsWith("modelcache/llama", StringComparison.Ordinal));
        Assert.True(gc.ExitCode == 0, gc.ToString());
        Assert.Contains("evicted 0 models", gc.Out, StringComparison.Ordinal);
    }
}
