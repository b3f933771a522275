using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests;

/// <summary>StorageClass selection parameters through CreateVolume and on to the node, over the real socket.</summary>
public sealed class ControllerSelectionTests(ControllerFixture fixture) : IClassFixture<ControllerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ScratchDirectory _kubelet = new();

    private Controller.ControllerClient Controller => new(fixture.All.Channel);

    private Node.NodeClient Node => new(fixture.All.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    public void Dispose() => _kubelet.Dispose();

    private static VolumeCapability ReadOnlyMany() => new()
    {
        Mount = new VolumeCapability.Types.MountVolume(),
        AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
    };

    private static CreateVolumeRequest Create(string reference, string key, string value) => new()
    {
        Name = "pvc-" + Guid.NewGuid(),
        CapacityRange = new CapacityRange { RequiredBytes = 1 },
        VolumeCapabilities = { ReadOnlyMany() },
        Parameters = { ["modelRef"] = reference, [key] = value },
    };

    private async Task<(string Reference, Dictionary<string, byte[]> Files)> PushAsync()
    {
        var repository = "sel/m" + Guid.NewGuid().ToString("N")[..12];
        var (_, files) = await fixture.PushAsync(fixture.Registry, repository, "v1");
        return ($"{fixture.Registry.Host}/{repository}:v1", files);
    }

    [Fact]
    public async Task A_class_selection_reaches_the_volume_context_sizes_the_volume_and_limits_what_the_pod_sees()
    {
        var (reference, files) = await PushAsync();

        var volume = (await Controller.CreateVolumeAsync(Create(reference, "excludePatterns", "*.safetensors"), Deadline)).Volume;

        Assert.Equal("*.safetensors", volume.VolumeContext["excludePatterns"]);
        Assert.Equal(files["config.json"].Length, volume.CapacityBytes);
        var publish = new NodePublishVolumeRequest
        {
            VolumeId = volume.VolumeId,
            TargetPath = _kubelet.Combine("pods", Guid.NewGuid().ToString(), "volumes", "kubernetes.io~csi", volume.VolumeId, "mount"),
            Readonly = true,
            VolumeCapability = ReadOnlyMany(),
            VolumeContext = { volume.VolumeContext },
        };
        await Node.NodePublishVolumeAsync(publish, Deadline);
        Assert.Equal(["config.json"], Directory.EnumerateFiles(publish.TargetPath).Select(Path.GetFileName).ToList());
        await Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = volume.VolumeId, TargetPath = publish.TargetPath }, Deadline);
    }

    [Theory]
    [InlineData("includePatterns", "/etc/*")]
    [InlineData("model.csi.modelpack.org/exclude-model-weights", "yes please")]
    public async Task An_invalid_class_selection_is_invalid_argument_naming_the_value(string key, string value)
    {
        var (reference, _) = await PushAsync();

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Controller.CreateVolumeAsync(Create(reference, key, value), Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"'{value}'", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_class_selection_that_matches_no_layer_is_invalid_argument()
    {
        var (reference, _) = await PushAsync();

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Controller.CreateVolumeAsync(Create(reference, "includePatterns", "*.onnx"), Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("matches no layer", error.Status.Detail, StringComparison.Ordinal);
    }
}
