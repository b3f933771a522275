using System.Globalization;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>The real driver killed with SIGKILL in the middle of a pull, restarted, and its metrics scraped over HTTP.</summary>
public sealed class CacheLifecycleTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const int ArtifactBytes = 48 * 1024 * 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    private static NodePublishVolumeRequest PublishRequest(ScratchDirectory scratch, string volumeId, string reference) => new()
    {
        VolumeId = volumeId,
        TargetPath = scratch.Combine("kubelet", "pods", volumeId, "volumes", "kubernetes.io~csi", "model", "mount"),
        VolumeCapability = new VolumeCapability
        {
            Mount = new VolumeCapability.Types.MountVolume(),
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
        },
        VolumeContext = { ["model.csi.modelpack.org/reference"] = reference },
    };

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }

            await Task.Delay(20);
        }
    }

    private static long PartialBytes(string rootDir) =>
        new DirectoryInfo(Path.Combine(rootDir, "cache", "blobs", "sha256")).EnumerateFiles("*.partial").Sum(f => f.Length);

    /// <summary>Bytes unpacked by tar layers not complete yet: plain tar in <c>layers/&lt;key&gt;.partial/</c>, compressed in <c>tmp/</c>.</summary>
    private static long UnpackedBytesInProgress(string rootDir) =>
        new DirectoryInfo(Path.Combine(rootDir, "cache", "tmp")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
        + new DirectoryInfo(Path.Combine(rootDir, "cache", "layers")).EnumerateDirectories("*.partial")
            .Sum(d => d.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));

    /// <summary>
    /// A raw layer resumes with Range from its partial file. A tar layer keeps no copy of its blob (each byte is
    /// written once, into the unpacked files) and resumes only from a checkpoint between entries: this one holds a
    /// single large file, so after a kill it is fetched again from byte 0.
    /// </summary>
    [Theory]
    [InlineData(LayerForm.Raw)]
    [InlineData(LayerForm.Tar)]
    public async Task A_driver_killed_in_the_middle_of_a_pull_publishes_a_complete_model_after_a_restart_resuming_raw_layers_and_refetching_tar_layers(LayerForm form)
    {
        using var sources = new TempDirectory("modelcsi-kill");
        var weights = OciTestContent.RandomBytes(ArtifactBytes, form == LayerForm.Raw ? 60 : 61);
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = weights, ["config.json"] = "{}"u8.ToArray() };
        var repository = OciTestContent.UniqueRepository("kill");
        var packed = await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(sources.Path, files), new PackOptions { Form = form });
        var weightsLayer = packed.Manifest.Layers.MaxBy(l => l.Size)!;
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        proxy.BytesPerSecond = 8 * 1024 * 1024;
        using var scratch = new ScratchDirectory();
        var request = PublishRequest(scratch, "csi-kill", $"{proxy.Host}/{repository}:v1");

        var first = await DriverProcess.StartAsync(scratch);
        var rootDir = first.RootDir;
        var publish = new Node.NodeClient(first.Channel).NodePublishVolumeAsync(request, Deadline).ResponseAsync;
        // Killed once a quarter of the blob is on disk: in its partial file (raw), or unpacked in layers/<key>.partial/ (tar).
        Func<long> saved = form == LayerForm.Raw ? () => PartialBytes(rootDir) : () => UnpackedBytesInProgress(rootDir);
        await WaitUntilAsync(() => saved() > ArtifactBytes / 4, "a quarter of the blob is saved");
        if (form == LayerForm.Tar)
        {
            Assert.NotEmpty(Directory.EnumerateDirectories(Path.Combine(rootDir, "cache", "layers"), "*.partial"));
            Assert.Equal(0, PartialBytes(rootDir));
        }

        first.KillHard();
        Assert.True(await first.WaitForExitAsync());
        await Assert.ThrowsAnyAsync<RpcException>(() => publish);
        Assert.True(saved() > 0);

        proxy.BytesPerSecond = 0;
        proxy.ResetResponseBytes();
        await using var second = await DriverProcess.StartAsync(scratch);
        // No partial model ever becomes visible.
        Assert.False(Directory.Exists(Path.Combine(rootDir, "cache", "models", packed.ManifestDigest[7..])));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(rootDir, "cache", "tmp")));

        var node = new Node.NodeClient(second.Channel);
        await node.NodePublishVolumeAsync(request, Deadline);

        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "model.safetensors")));
        Assert.Equal("{}"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "config.json")));
        var weightsGets = proxy.Requests.Where(r => r.Path.Contains(weightsLayer.Digest, StringComparison.Ordinal)).ToList();
        if (form == LayerForm.Raw)
        {
            Assert.True(proxy.ResponseBytes < weightsLayer.Size, $"fetched {proxy.ResponseBytes} bytes after the restart, the layer has {weightsLayer.Size}");
            Assert.Contains(weightsGets, r => r.Range is not null);
        }
        else
        {
            Assert.True(proxy.ResponseBytes >= weightsLayer.Size, $"fetched {proxy.ResponseBytes} bytes after the restart, the layer has {weightsLayer.Size}");
            Assert.NotEmpty(weightsGets);
            Assert.All(weightsGets, r => Assert.Null(r.Range));
        }

        Assert.Equal(0, PartialBytes(rootDir));

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task Metrics_count_one_miss_then_a_hit_per_further_publish_of_the_same_model()
    {
        using var sources = new TempDirectory("modelcsi-metrics");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(200_000, 70) };
        var repository = OciTestContent.UniqueRepository("metrics");
        var packed = await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(sources.Path, files));
        var reference = $"{registry.Registry.Host}/{repository}:v1";
        using var scratch = new ScratchDirectory();
        await using var driver = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(driver.Channel);
        var requests = Enumerable.Range(1, 3).Select(i => PublishRequest(scratch, $"csi-metrics-{i}", reference)).ToList();

        foreach (var request in requests)
        {
            await node.NodePublishVolumeAsync(request, Deadline);
        }

        using var http = new HttpClient { BaseAddress = new Uri(driver.MetricsUrl!), Timeout = Patience };
        var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.True(health.IsSuccessStatusCode);
        var metrics = ParseMetrics(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

        Assert.Equal(1, metrics["modelcsi_cache_misses_total"]);
        Assert.Equal(2, metrics["modelcsi_cache_hits_total"]);
        Assert.Equal(1, metrics["modelcsi_pulls_started_total"]);
        Assert.Equal(1, metrics["modelcsi_pulls_succeeded_total"]);
        Assert.Equal(1, metrics["modelcsi_pull_duration_seconds_count"]);
        Assert.Equal(1, metrics["modelcsi_cache_models"]);
        Assert.Equal(3, metrics["modelcsi_published_volumes"]);
        Assert.Equal(3, metrics["modelcsi_csi_requests_total{method_name=\"NodePublishVolume\",grpc_status_code=\"OK\"}"]);
        Assert.Equal(3, metrics["modelcsi_csi_request_duration_seconds_count{method_name=\"NodePublishVolume\"}"]);
        Assert.True(metrics["modelcsi_downloaded_bytes_total"] >= packed.Manifest.Layers.Sum(l => l.Size));
        Assert.True(metrics["modelcsi_cache_bytes"] >= packed.Manifest.Layers.Sum(l => l.Size));
        Assert.Equal(0, metrics["modelcsi_evictions_total"]);

        foreach (var request in requests)
        {
            await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
        }

        var after = ParseMetrics(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        Assert.Equal(0, after["modelcsi_published_volumes"]);
        Assert.Equal(3, after["modelcsi_csi_requests_total{method_name=\"NodeUnpublishVolume\",grpc_status_code=\"OK\"}"]);
    }

    [Fact]
    public async Task A_driver_restarted_with_a_smaller_limit_evicts_the_unused_model_on_its_collection_timer()
    {
        using var sources = new TempDirectory("modelcsi-gc");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(200_000, 90) };
        var repository = OciTestContent.UniqueRepository("gc");
        var packed = await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(sources.Path, files));
        using var scratch = new ScratchDirectory();
        var request = PublishRequest(scratch, "csi-gc", $"{registry.Registry.Host}/{repository}:v1");
        var first = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(first.Channel);
        await node.NodePublishVolumeAsync(request, Deadline);
        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
        first.SendSigterm();
        Assert.True(await first.WaitForExitAsync());
        var modelDir = Path.Combine(first.RootDir, "cache", "models", packed.ManifestDigest[7..]);
        Assert.True(Directory.Exists(modelDir));

        var config = scratch.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            cache:
              maxSize: 1Ki
              gcInterval: "00:00:01"
            """);
        await using var second = await DriverProcess.StartAsync(scratch, "--config", config);
        await WaitUntilAsync(() => !Directory.Exists(modelDir), "the collection timer evicts the model");

        using var http = new HttpClient { BaseAddress = new Uri(second.MetricsUrl!), Timeout = Patience };
        var metrics = ParseMetrics(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        Assert.Equal(1, metrics["modelcsi_evictions_total"]);
        Assert.True(metrics["modelcsi_evicted_bytes_total"] >= files["model.safetensors"].Length);
        Assert.Equal(0, metrics["modelcsi_cache_models"]);
        Assert.Contains("Evicted", second.Output, StringComparison.Ordinal);
    }

    /// <summary>Prometheus text format: "name{labels} value" per sample line.</summary>
    private static Dictionary<string, double> ParseMetrics(string text) =>
        text.Split('\n')
            .Where(l => l.StartsWith("modelcsi_", StringComparison.Ordinal))
            .Select(l => (Key: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
            .ToDictionary(p => p.Key, p => p.Value);
}
