using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>The Identity service of the real driver process over its unix socket (what csi-sanity checks first).</summary>
public sealed class IdentityOverSocketTests(DriverProcessFixture fixture) : IClassFixture<DriverProcessFixture>
{
    private Identity.IdentityClient Client => new(fixture.Driver.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + DriverProcess.Patience);

    [Fact]
    public async Task GetPluginInfo_names_the_driver_and_its_version()
    {
        var info = await Client.GetPluginInfoAsync(new GetPluginInfoRequest(), Deadline);

        Assert.Equal("model.csi.modelpack.org", info.Name);
        Assert.Equal(DriverVersion.Current, info.VendorVersion);
        Assert.Matches(@"^\d+\.\d+\.\d+", info.VendorVersion);
    }

    [Fact]
    public async Task Probe_is_ready_when_the_root_directory_is_writable()
    {
        var probe = await Client.ProbeAsync(new ProbeRequest(), Deadline);

        Assert.True(probe.Ready);
        Assert.Empty(Directory.EnumerateFiles(fixture.Driver.RootDir, ".probe-*"));
    }

    [Fact]
    public async Task A_node_mode_driver_does_not_claim_a_controller_service()
    {
        var capabilities = await Client.GetPluginCapabilitiesAsync(new GetPluginCapabilitiesRequest(), Deadline);

        Assert.DoesNotContain(capabilities.Capabilities, c => c.Service?.Type == PluginCapability.Types.Service.Types.Type.ControllerService);
    }

    [Fact]
    public async Task NodeGetInfo_reports_the_configured_node_id_and_no_volume_limit()
    {
        var info = await new Node.NodeClient(fixture.Driver.Channel).NodeGetInfoAsync(new NodeGetInfoRequest(), Deadline);

        Assert.Equal(DriverProcessFixture.NodeId, info.NodeId);
        Assert.Equal(0, info.MaxVolumesPerNode);
    }

    [Fact]
    public async Task NodeGetCapabilities_offers_volume_stats_and_no_staging()
    {
        var capabilities = await new Node.NodeClient(fixture.Driver.Channel).NodeGetCapabilitiesAsync(new NodeGetCapabilitiesRequest(), Deadline);

        var types = capabilities.Capabilities.Select(c => c.Rpc.Type).ToList();
        Assert.Contains(NodeServiceCapability.Types.RPC.Types.Type.GetVolumeStats, types);
        Assert.DoesNotContain(NodeServiceCapability.Types.RPC.Types.Type.StageUnstageVolume, types);
    }

    [Fact]
    public async Task Staging_is_unimplemented()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => new Node.NodeClient(fixture.Driver.Channel)
            .NodeStageVolumeAsync(new NodeStageVolumeRequest { VolumeId = "v", StagingTargetPath = "/s" }, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task A_node_mode_driver_does_not_serve_the_controller()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => new Controller.ControllerClient(fixture.Driver.Channel)
            .ControllerGetCapabilitiesAsync(new ControllerGetCapabilitiesRequest(), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }
}
