using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>The driver process in controller mode, wired as it runs in the cluster, against the fake API server via --kubeconfig.</summary>
public sealed class ControllerProcessTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-mcache-process");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_controller_started_with_kubeconfig_resolves_a_ModelCache_and_counts_its_nodes()
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(2048, 5) };
        var packed = await TestModels.PushAsync(registry.Registry.Host, "models/process", "v1", TestModels.WriteDirectory(_temp.Combine("src"), files));
        await using var server = await FakeKubeApiServer.StartAsync(tls: true, bearerToken: "controller-token");
        server.PutNode("node-a", new Dictionary<string, string>());
        server.Put("modelcaches", ModelCacheObjects.Create("process", $"{registry.Registry.Host}/models/process:v1"));

        await using var driver = await DriverProcess.StartAsync(null, "--mode", "controller", "--kubeconfig", server.WriteKubeconfig(_temp.Combine("kubeconfig")));

        var status = await Eventually.ValueAsync(() => server.Get("modelcaches", "process")?["status"],
            s => (string?)s?["resolvedDigest"] == packed.ManifestDigest && (int?)s?["desiredNodes"] == 1, DriverProcess.Patience);
        Assert.Equal(packed.ManifestDigest, (string?)status?["resolvedDigest"]);
        Assert.Equal("Pulling", (string?)status?["conditions"]?[0]?["reason"]);
        Assert.Contains(server.Applies, a => a.FieldManager == "modelcsi-controller");
    }

    [Fact]
    public async Task Without_a_cluster_the_controller_says_once_that_Kubernetes_features_are_off()
    {
        await using var driver = await DriverProcess.StartAsync(null, "--mode", "controller");

        var output = await Eventually.ValueAsync(() => driver.Output, o => o.Contains("No Kubernetes API configured", StringComparison.Ordinal), DriverProcess.Patience);
        Assert.Single(output.Split('\n'), l => l.Contains("No Kubernetes API configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_zero_retry_interval_stops_the_driver_at_start_with_one_line()
    {
        var config = _temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "modelCache:\n  retryFailedAfter: \"00:00:00\"\n");

        using var scratch = new ScratchDirectory();
        await using var driver = DriverProcess.Launch(scratch, scratch.Combine("plugin", "csi.sock"), "--mode", "controller", "--config", config);

        Assert.True(await driver.WaitForExitAsync());
        Assert.Equal(2, driver.ExitCode);
        Assert.Contains("modelCache: retryFailedAfter", driver.Output, StringComparison.Ordinal);
    }
}
