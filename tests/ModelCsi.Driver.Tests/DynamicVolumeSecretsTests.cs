using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>A dynamic volume's publish secrets survive a driver restart, root-only, so private models still pull after it.</summary>
public sealed class DynamicVolumeSecretsTests(BasicAuthRegistryFixture privateRegistry) : IClassFixture<BasicAuthRegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    [Fact]
    public async Task After_a_restart_a_dynamic_volume_still_pulls_private_models_with_its_publish_secrets_kept_root_only()
    {
        var credential = RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password);
        using var sources = new TempDirectory("modelcsi-dyn-secrets");
        var repository = OciTestContent.UniqueRepository("dynpriv");
        await TestModels.PushAsync(privateRegistry.Registry.Host, repository, "v1",
            TestModels.WriteDirectory(sources.Path, new Dictionary<string, byte[]> { ["config.json"] = "{\"private\":true}"u8.ToArray() }), credential: credential);
        using var scratch = new ScratchDirectory();
        var volume = new NodePublishVolumeRequest
        {
            VolumeId = "csi-dyn-s",
            TargetPath = scratch.Combine("s", "mnt"),
            VolumeCapability = new VolumeCapability { Mount = new(), AccessMode = new() { Mode = AccessMode.SingleNodeReaderOnly } },
            VolumeContext = { ["mode"] = "dynamic" },
            Secrets = { ["username"] = BasicAuthRegistryFixture.User, ["password"] = BasicAuthRegistryFixture.Password },
        };
        var first = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(volume, Deadline);
        var secretsFile = Assert.Single(Directory.GetFiles(Path.Combine(first.RootDir, "dynamic"), "*.secrets"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretsFile));
        first.KillHard();
        await first.WaitForExitAsync();

        await using var second = await DriverProcess.StartAsync(scratch);
        using var socket = new DynamicSocket(Path.Combine(volume.TargetPath, "api.sock"));
        var deadline = DateTime.UtcNow + Patience;
        while (!await TryMountAsync(socket, $"{privateRegistry.Registry.Host}/{repository}:v1"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the restarted driver's socket never took the mount");
            await Task.Delay(50);
        }

        var settled = await socket.WaitSettledAsync("private", Patience);
        Assert.Equal("ready", settled.GetProperty("state").GetString());
        Assert.Equal("{\"private\":true}", await File.ReadAllTextAsync(Path.Combine(volume.TargetPath, "models", "private", "config.json")));

        await new Node.NodeClient(second.Channel).NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = volume.VolumeId, TargetPath = volume.TargetPath }, Deadline);
        Assert.False(File.Exists(secretsFile));
    }

    private static async Task<bool> TryMountAsync(DynamicSocket socket, string reference)
    {
        try
        {
            using var response = await socket.MountAsync("private", reference);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            // The restarted driver's API is not up yet.
            return false;
        }
    }
}
