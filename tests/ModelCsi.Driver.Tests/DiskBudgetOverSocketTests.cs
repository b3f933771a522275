using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>A model larger than the node's cache budget, asked for through the real socket.</summary>
public sealed class DiskBudgetOverSocketTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_model_over_the_cache_budget_is_ResourceExhausted_saying_what_is_needed_and_leaves_nothing()
    {
        using var sources = new TempDirectory("modelcsi-budget");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(2_000_000, 77) };
        await TestModels.PushAsync(registry.Registry.Host, "budget/model", "v1", TestModels.WriteDirectory(sources.Path, files));
        using var scratch = new ScratchDirectory();
        var config = scratch.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "cache:\n  maxSize: 1Mi\n");
        await using var driver = await DriverProcess.StartAsync(scratch, "--config", config);
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-budget",
            TargetPath = scratch.Combine("kubelet", "pods", "p", "volumes", "kubernetes.io~csi", "model", "mount"),
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
            },
            VolumeContext = { ["modelRef"] = $"{registry.Registry.Host}/budget/model:v1" },
        };

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Node.NodeClient(driver.Channel).NodePublishVolumeAsync(request, deadline: DateTime.UtcNow + DriverProcess.Patience).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("budget/model", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("need", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        var cache = Path.Combine(driver.RootDir, "cache");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(cache, "models")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(cache, "tmp")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache, "blobs"), "*", SearchOption.AllDirectories));
    }
}
