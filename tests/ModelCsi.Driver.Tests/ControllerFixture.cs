using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Real registries (one open, one behind basic auth) and two real driver processes: one in <c>all</c> mode,
/// where a volume created by the controller can be published by the node of the same process, and one in
/// <c>controller</c> mode as the Deployment runs it, and one in <c>node</c> mode alone.
/// </summary>
public sealed class ControllerFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;

    public RegistryProcess AuthRegistry { get; private set; } = null!;

    public DriverProcess All { get; private set; } = null!;

    public DriverProcess ControllerOnly { get; private set; } = null!;

    /// <summary>A node plugin with no controller anywhere, as for static PersistentVolumes.</summary>
    public DriverProcess NodeOnly { get; private set; } = null!;

    public TempDirectory Sources { get; } = new("modelcsi-controller-models");

    public async Task InitializeAsync()
    {
        Registry = await RegistryProcess.StartAsync();
        AuthRegistry = await RegistryProcess.StartAsync(new RegistryProcessOptions
        {
            BasicUsers = new Dictionary<string, string> { [BasicAuthRegistryFixture.User] = BasicAuthRegistryFixture.Password },
        });
        All = await DriverProcess.StartAsync(null, "--mode", "all", "--node-id", "controller-test-node");
        ControllerOnly = await DriverProcess.StartAsync(null, "--mode", "controller");
        NodeOnly = await DriverProcess.StartAsync(null, "--mode", "node", "--node-id", "static-pv-node");
    }

    /// <summary>Pushes a model whose files are unique to this call; returns its manifest digest and files.</summary>
    public async Task<(string Digest, Dictionary<string, byte[]> Files)> PushAsync(RegistryProcess registry, string repository, string tag, Core.Oci.RegistryCredential? credential = null)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(200_000, Random.Shared.Next()),
            ["config.json"] = System.Text.Encoding.UTF8.GetBytes($"{{\"id\": \"{Guid.NewGuid():N}\"}}"),
        };
        var packed = await TestModels.PushAsync(registry.Host, repository, tag, TestModels.WriteDirectory(Sources.Path, files), credential: credential);
        return (packed.ManifestDigest, files);
    }

    public async Task DisposeAsync()
    {
        await NodeOnly.DisposeAsync();
        await ControllerOnly.DisposeAsync();
        await All.DisposeAsync();
        await AuthRegistry.DisposeAsync();
        await Registry.DisposeAsync();
        Sources.Dispose();
    }
}
