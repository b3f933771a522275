using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using Xunit;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests;

/// <summary>Start-up and shutdown of the real driver process.</summary>
public sealed class DriverLifecycleTests
{
    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + DriverProcess.Patience);

    [Fact]
    public async Task SIGTERM_stops_the_driver_cleanly_and_removes_its_socket()
    {
        var driver = await DriverProcess.StartAsync();
        await using (driver)
        {
            driver.SendSigterm();

            Assert.True(await driver.WaitForExitAsync(), driver.Output);
            Assert.Equal(0, driver.ExitCode);
            Assert.False(File.Exists(driver.SocketPath), driver.Output);
        }
    }

    [Fact]
    public async Task A_stale_socket_file_left_by_a_killed_driver_is_replaced()
    {
        using var scratch = new ScratchDirectory();
        var socketPath = scratch.Combine("plugin", "csi.sock");
        var crashed = DriverProcess.Launch(scratch, socketPath);
        await crashed.WaitUntilServingAsync();
        // SIGKILL gives the driver no chance to clean up, so its socket file stays behind.
        crashed.KillHard();
        Assert.True(await crashed.WaitForExitAsync());
        Assert.True(File.Exists(socketPath));

        var driver = DriverProcess.Launch(scratch, socketPath);
        await using (driver)
        {
            await driver.WaitUntilServingAsync();

            var probe = await new Identity.IdentityClient(driver.Channel).ProbeAsync(new ProbeRequest(), Deadline);
            Assert.True(probe.Ready);
        }
    }

    [Fact]
    public async Task A_second_driver_on_a_live_socket_refuses_to_start_and_the_first_keeps_serving()
    {
        using var scratch = new ScratchDirectory();
        var socketPath = scratch.Combine("plugin", "csi.sock");
        var first = DriverProcess.Launch(scratch, socketPath);
        await using (first)
        {
            await first.WaitUntilServingAsync();
            // Its own root: only the socket is shared, as with a second DaemonSet pod on one node.
            var second = DriverProcess.Launch(new ScratchDirectory(), socketPath);
            await using (second)
            {
                Assert.True(await second.WaitForExitAsync(), second.Output);
                second.WaitForOutputEnd();
                Assert.Equal(2, second.ExitCode);
                Assert.Contains("served by another running process", second.Output, StringComparison.Ordinal);
            }

            Assert.True(File.Exists(socketPath));
            var probe = await new Identity.IdentityClient(first.Channel).ProbeAsync(new ProbeRequest(), Deadline);
            Assert.True(probe.Ready);
        }
    }

    [Fact]
    public async Task A_driver_in_all_mode_claims_the_controller_service_and_answers_its_capabilities()
    {
        var driver = await DriverProcess.StartAsync(null, "--mode", "all");
        await using (driver)
        {
            var plugin = await new Identity.IdentityClient(driver.Channel).GetPluginCapabilitiesAsync(new GetPluginCapabilitiesRequest(), Deadline);
            var controller = await new Controller.ControllerClient(driver.Channel).ControllerGetCapabilitiesAsync(new ControllerGetCapabilitiesRequest(), Deadline);

            Assert.Contains(plugin.Capabilities, c => c.Service?.Type == PluginCapability.Types.Service.Types.Type.ControllerService);
            Assert.Contains(controller.Capabilities, c => c.Rpc?.Type == ControllerServiceCapability.Types.RPC.Types.Type.CreateDeleteVolume);
        }
    }

    [Fact]
    public async Task A_config_file_sets_options_and_flags_override_it()
    {
        using var scratch = new ScratchDirectory();
        var config = scratch.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            driverName: from-file.example.com
            nodeId: node-from-file
            registries:
              - host: registry.local:5000
                plainHttp: true
            """);

        var driver = DriverProcess.Launch(scratch, scratch.Combine("plugin", "csi.sock"), "--config", config, "--node-id", "node-from-flag");
        await using (driver)
        {
            await driver.WaitUntilServingAsync();

            var info = await new Identity.IdentityClient(driver.Channel).GetPluginInfoAsync(new GetPluginInfoRequest(), Deadline);
            var node = await new Node.NodeClient(driver.Channel).NodeGetInfoAsync(new NodeGetInfoRequest(), Deadline);
            Assert.Equal("from-file.example.com", info.Name);
            Assert.Equal("node-from-flag", node.NodeId);
        }
    }

    [Theory]
    [InlineData("--endpoint", "tcp://127.0.0.1:9000")]
    [InlineData("--driver-name", "-not-a-domain-")]
    [InlineData("--root-dir", "relative/root")]
    public async Task A_misconfigured_driver_fails_at_start(string flag, string value)
    {
        using var scratch = new ScratchDirectory();
        var driver = DriverProcess.Launch(scratch, scratch.Combine("plugin", "csi.sock"), flag, value);
        await using (driver)
        {
            Assert.True(await driver.WaitForExitAsync(), driver.Output);
            Assert.NotEqual(0, driver.ExitCode);
        }
    }
}
