using System.Text;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The real driver process wired to real registries: an open one behind a request-counting proxy and
/// one that wants basic auth. The driver's cache reserve is set from a YAML config file.
/// </summary>
public sealed class ModelDriverFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;

    public RegistryProcess AuthRegistry { get; private set; } = null!;

    public FaultProxy Proxy { get; private set; } = null!;

    public DriverProcess Driver { get; private set; } = null!;

    public TempDirectory Sources { get; } = new("modelcsi-models");

    /// <summary>The sample model pushed once for the class: <c>proxy/e2e/tiny:v1</c>.</summary>
    public string SampleReference => $"{Proxy.Host}/e2e/tiny:v1";

    public Dictionary<string, byte[]> SampleFiles { get; } = new()
    {
        ["model.safetensors"] = OciTestContent.RandomBytes(1_500_000, 100),
        ["config.json"] = Encoding.UTF8.GetBytes("{\"model_type\": \"e2e\"}"),
        ["tokenizer/vocab.txt"] = Encoding.UTF8.GetBytes("hello\nworld\n"),
        ["README.md"] = Encoding.UTF8.GetBytes("# e2e\n"),
    };

    public Core.ModelPack.PackedModel Sample { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = await RegistryProcess.StartAsync();
        AuthRegistry = await RegistryProcess.StartAsync(new RegistryProcessOptions
        {
            BasicUsers = new Dictionary<string, string> { [BasicAuthRegistryFixture.User] = BasicAuthRegistryFixture.Password },
        });
        Proxy = FaultProxy.Start(Registry.Host);
        Sample = await TestModels.PushAsync(Registry.Host, "e2e/tiny", "v1", TestModels.WriteDirectory(Sources.Path, SampleFiles));
        Driver = await DriverProcess.StartAsync(null, "--node-id", "e2e-node");
    }

    public async Task DisposeAsync()
    {
        await Driver.DisposeAsync();
        await Proxy.DisposeAsync();
        await AuthRegistry.DisposeAsync();
        await Registry.DisposeAsync();
        Sources.Dispose();
    }
}
