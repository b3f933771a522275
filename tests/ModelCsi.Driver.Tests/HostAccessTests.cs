using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Issue 11, finding 10: an unprivileged host user (uid 65534) gets nothing from the driver's directories, while
/// a pod, whatever user it runs as, still reads its model and uses its own volume's socket through its target.
/// </summary>
public sealed class HostAccessTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(90));

    private static VolumeCapability MountCapability(AccessMode mode) => new()
    {
        Mount = new VolumeCapability.Types.MountVolume(),
        AccessMode = new VolumeCapability.Types.AccessMode { Mode = mode },
    };

    private static NodePublishVolumeRequest DynamicPublish(ScratchDirectory scratch, string name) => new()
    {
        VolumeId = "csi-host-" + name,
        TargetPath = scratch.Combine(name, "mnt"),
        VolumeCapability = MountCapability(AccessMode.SingleNodeReaderOnly),
        VolumeContext = { ["mode"] = "dynamic", ["csi.storage.k8s.io/pod.name"] = "pod-" + name, ["csi.storage.k8s.io/pod.namespace"] = "ml" },
    };

    [Fact]
    public async Task Another_host_user_cannot_use_a_dynamic_volumes_socket_through_the_driver_directory_but_the_pod_can_through_its_target()
    {
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var a = DynamicPublish(driver.Scratch, "a");
        var b = DynamicPublish(driver.Scratch, "b");
        await node.NodePublishVolumeAsync(a, Deadline);
        await node.NodePublishVolumeAsync(b, Deadline);

        foreach (var directory in new[] { driver.RootDir, Path.Combine(driver.RootDir, "state"), Path.Combine(driver.RootDir, "dynamic"), Path.Combine(driver.RootDir, "cache") })
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(directory));
        }
        var hostSockets = Directory.EnumerateFiles(Path.Combine(driver.RootDir, "dynamic"), "api.sock", SearchOption.AllDirectories).ToList();
        Assert.Equal(2, hostSockets.Count);
        foreach (var socket in hostSockets)
        {
            var (exitCode, output) = await Unprivileged.ListMountsAsync(socket);
            Assert.NotEqual(0, exitCode);
            Assert.DoesNotContain("\"mounts\"", output, StringComparison.Ordinal);
        }
        // The pod's own view: its target, whatever user the container runs as.
        foreach (var target in new[] { a.TargetPath, b.TargetPath })
        {
            var (exitCode, output) = await Unprivileged.ListMountsAsync(Path.Combine(target, "api.sock"));
            Assert.True(exitCode == 0, output);
            Assert.Contains("\"mounts\"", output, StringComparison.Ordinal);
        }

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = b.VolumeId, TargetPath = b.TargetPath }, Deadline);
    }

    [Fact]
    public async Task A_published_model_is_readable_at_its_target_by_any_user_and_not_through_the_cache_directory()
    {
        using var sources = new TempDirectory("modelcsi-host-access");
        var content = OciTestContent.RandomBytes(50_000, 71);
        await TestModels.PushAsync(registry.Registry.Host, "host/access", "v1", TestModels.WriteDirectory(sources.Combine("m"), new Dictionary<string, byte[]> { ["model.safetensors"] = content }));
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-host-static",
            TargetPath = driver.Scratch.Combine("pods", "p1", "mount"),
            Readonly = true,
            VolumeCapability = MountCapability(AccessMode.SingleNodeReaderOnly),
            VolumeContext = { ["modelRef"] = $"{registry.Registry.Host}/host/access:v1" },
        };

        await node.NodePublishVolumeAsync(request, Deadline);

        var (exitCode, output) = await Unprivileged.RunAsync("sha256sum", Path.Combine(request.TargetPath, "model.safetensors"));
        Assert.True(exitCode == 0, output);
        Assert.StartsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), output, StringComparison.Ordinal);
        var hostCopy = Directory.EnumerateFiles(Path.Combine(driver.RootDir, "cache", "models"), "model.safetensors", SearchOption.AllDirectories).First();
        var (hostExit, _) = await Unprivileged.RunAsync("cat", hostCopy);
        Assert.NotEqual(0, hostExit);

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
    }
}
