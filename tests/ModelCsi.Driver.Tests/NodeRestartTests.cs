using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>Driver processes that die and come back on the same root directory.</summary>
public sealed class NodeRestartTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    [Fact]
    public async Task A_driver_killed_and_restarted_still_knows_its_mounts_and_serves_from_its_cache()
    {
        using var sources = new TempDirectory("modelcsi-restart");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(500_000, 40) };
        var packed = await TestModels.PushAsync(registry.Registry.Host, "restart/model", "v1", TestModels.WriteDirectory(sources.Path, files));
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        using var scratch = new ScratchDirectory();
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-restart",
            TargetPath = scratch.Combine("kubelet", "pods", "p1", "volumes", "kubernetes.io~csi", "model", "mount"),
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
            },
            VolumeContext = { ["model.csi.modelpack.org/reference"] = $"{proxy.Host}/restart/model:v1" },
        };

        var first = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(request, Deadline);
        first.KillHard();
        await first.WaitForExitAsync();

        await using var second = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(second.Channel);
        await node.NodePublishVolumeAsync(request, Deadline);
        Assert.Equal(1, proxy.CountRequests("GET", "/blobs/" + packed.Manifest.Layers.Single().Digest));
        Assert.Equal(files["model.safetensors"], await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "model.safetensors")));

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);

        Assert.Null(MountInfoParser.FindByMountPoint(MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo")), request.TargetPath));
        Assert.False(Directory.Exists(request.TargetPath));
    }
}
