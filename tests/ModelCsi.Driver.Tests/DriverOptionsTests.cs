using Microsoft.Extensions.Configuration;
using ModelCsi.Driver.Options;
using ModelCsi.Driver.Tests.Support;
using Xunit;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests;

public sealed class DriverOptionsTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static DriverOptions Valid() => new() { Endpoint = "unix:///csi/csi.sock", NodeId = "node-a", RootDir = "/var/lib/model-csi" };

    [Fact]
    public void Defaults_with_an_endpoint_are_valid()
    {
        var options = new DriverOptions { Endpoint = "unix:///csi/csi.sock" };

        Assert.True(new DriverOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("model.csi.modelpack.org", options.DriverName);
        Assert.Equal("/var/lib/model-csi", options.RootDir);
        Assert.Equal(DriverMode.Node, options.Mode);
        Assert.Equal(Environment.MachineName, options.NodeId);
    }

    [Theory]
    [InlineData("", "endpoint is empty")]
    [InlineData("tcp://127.0.0.1:10000", "not a unix://")]
    [InlineData("unix://relative/csi.sock", "absolute")]
    [InlineData("unix:///csi/csi", ".sock")]
    public void A_bad_endpoint_is_rejected(string endpoint, string reason)
    {
        var options = Valid();
        options.Endpoint = endpoint;

        var result = new DriverOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(reason, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("model.csi.modelpack.org")]
    [InlineData("a-b.c")]
    public void Domain_style_driver_names_are_accepted(string name)
    {
        var options = Valid();
        options.DriverName = name;

        Assert.True(new DriverOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading.dash")]
    [InlineData("trailing.")]
    [InlineData("has space")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Other_driver_names_are_rejected(string name)
    {
        var options = Valid();
        options.DriverName = name;

        Assert.True(new DriverOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void An_empty_node_id_is_rejected()
    {
        var options = Valid();
        options.NodeId = " ";

        Assert.True(new DriverOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void The_yaml_file_binds_driver_options_and_registry_hosts()
    {
        var path = _scratch.Combine("config.yaml");
        File.WriteAllText(path, """
            endpoint: unix:///plugin/csi.sock
            nodeId: worker-3
            mode: all
            operationLockWait: "00:00:05"
            registries:
              - host: registry.local:5000
                plainHttp: true
              - host: lab.example.com
                skipTlsVerify: true
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(DriverConfiguration.ReadYaml(path)).Build();

        var driver = configuration.Get<DriverOptions>()!;
        var registries = new DriverRegistryOptions();
        configuration.Bind(registries);

        Assert.Equal("unix:///plugin/csi.sock", driver.Endpoint);
        Assert.Equal("worker-3", driver.NodeId);
        Assert.Equal(DriverMode.All, driver.Mode);
        Assert.Equal(TimeSpan.FromSeconds(5), driver.OperationLockWait);
        Assert.Equal(2, registries.Registries.Count);
        Assert.True(registries.ForHost("REGISTRY.local:5000")?.PlainHttp);
        Assert.False(registries.ForHost("registry.local:5000")?.SkipTlsVerify);
        Assert.True(registries.ForHost("lab.example.com")?.SkipTlsVerify);
        Assert.Null(registries.ForHost("docker.io"));
    }
}
