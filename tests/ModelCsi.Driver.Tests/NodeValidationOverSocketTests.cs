using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>Argument checks of the Node service through the real process, asserting exact status codes.</summary>
public sealed class NodeValidationOverSocketTests(DriverProcessFixture fixture) : IClassFixture<DriverProcessFixture>
{
    private Node.NodeClient Client => new(fixture.Driver.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + DriverProcess.Patience);

    public static TheoryData<string, string> InvalidPublishes => new()
    {
        { "missing volume id", "volume_id" },
        { "missing target path", "target_path" },
        { "relative target path", "absolute" },
        { "missing capability", "volume_capability" },
        { "no access type", "access_type" },
        { "no access mode", "access_mode" },
        { "block access", "block" },
        { "unknown mode", "Unknown" },
        { "missing model reference", "modelRef" },
        { "blank model reference", "modelRef" },
        { "absolute subPath", "subPath" },
        { "subPath with dot dot", ".." },
    };

    public static NodePublishVolumeRequest ValidPublish(string target) => new()
    {
        VolumeId = "vol-1",
        TargetPath = target,
        VolumeCapability = new VolumeCapability
        {
            Mount = new VolumeCapability.Types.MountVolume(),
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
        },
        VolumeContext = { ["modelRef"] = "registry.local/models/tiny:1" },
    };

    public static NodePublishVolumeRequest Broken(string @case, string target)
    {
        var request = ValidPublish(target);
        switch (@case)
        {
            case "missing volume id": request.VolumeId = ""; break;
            case "missing target path": request.TargetPath = ""; break;
            case "relative target path": request.TargetPath = "pods/x/mount"; break;
            case "missing capability": request.VolumeCapability = null; break;
            case "no access type": request.VolumeCapability.ClearAccessType(); break;
            case "no access mode": request.VolumeCapability.AccessMode = null; break;
            case "block access": request.VolumeCapability.Block = new VolumeCapability.Types.BlockVolume(); break;
            case "unknown mode": request.VolumeCapability.AccessMode.Mode = AccessMode.Unknown; break;
            case "missing model reference": request.VolumeContext.Clear(); break;
            case "blank model reference": request.VolumeContext["modelRef"] = "  "; break;
            case "absolute subPath": request.VolumeContext["subPath"] = "/etc"; break;
            case "subPath with dot dot": request.VolumeContext["subPath"] = "weights/../../etc"; break;
            default: throw new ArgumentOutOfRangeException(nameof(@case), @case, null);
        }
        return request;
    }

    [Theory]
    [MemberData(nameof(InvalidPublishes))]
    public async Task An_invalid_publish_is_rejected_with_InvalidArgument_naming_the_problem(string @case, string mentioned)
    {
        var target = fixture.Driver.Scratch.Combine("pods", "invalid", "mount");

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodePublishVolumeAsync(Broken(@case, target), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(mentioned, error.Status.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task A_valid_publish_without_a_model_store_is_Unavailable_with_the_reference_in_the_message()
    {
        var target = fixture.Driver.Scratch.Combine("pods", "valid", "mount");

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodePublishVolumeAsync(ValidPublish(target), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("registry.local/models/tiny:1", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("vol-1", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "/x", "volume_id")]
    [InlineData("vol-1", "", "target_path")]
    public async Task An_unpublish_without_volume_id_or_target_is_InvalidArgument(string volumeId, string target, string mentioned)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client
            .NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = volumeId, TargetPath = target }, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(mentioned, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unpublishing_a_volume_that_was_never_published_is_OK()
    {
        var target = fixture.Driver.Scratch.Combine("pods", "never", "mount");

        await Client.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = "unknown", TargetPath = target }, Deadline);

        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task Stats_of_a_volume_that_is_not_published_are_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodeGetVolumeStatsAsync(
            new NodeGetVolumeStatsRequest { VolumeId = "unknown", VolumePath = fixture.Driver.Scratch.Combine("nothing") }, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Theory]
    [InlineData("", "/x")]
    [InlineData("vol-1", "")]
    public async Task Stats_without_volume_id_or_path_are_InvalidArgument(string volumeId, string path)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodeGetVolumeStatsAsync(
            new NodeGetVolumeStatsRequest { VolumeId = volumeId, VolumePath = path }, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
