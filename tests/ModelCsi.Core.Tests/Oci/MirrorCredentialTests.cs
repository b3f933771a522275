using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>An origin and a mirror that both want Basic auth; the mirror sits behind a proxy that records what it was sent.</summary>
public sealed class MirrorCredentialTests : IAsyncLifetime, IDisposable
{
    private const string User = "puller";
    private const string Password = "mirror-test-pw";
    private readonly TempDirectory _temp = new();
    private readonly RecordingEndpointObserver _observer = new();
    private RegistryProcess? _origin;
    private RegistryProcess? _mirror;
    private FaultProxy? _mirrorProxy;

    private RegistryProcess Origin => _origin!;

    private FaultProxy MirrorProxy => _mirrorProxy!;

    public async Task InitializeAsync()
    {
        var users = new Dictionary<string, string> { [User] = Password };
        _origin = await RegistryProcess.StartAsync(new RegistryProcessOptions { BasicUsers = users });
        _mirror = await RegistryProcess.StartAsync(new RegistryProcessOptions { BasicUsers = users });
        _mirrorProxy = FaultProxy.Start(_mirror.Host);
    }

    public async Task DisposeAsync()
    {
        await _mirrorProxy!.DisposeAsync();
        await _mirror!.DisposeAsync();
        await _origin!.DisposeAsync();
    }

    public void Dispose() => _temp.Dispose();

    private async Task<string> PushToBothAsync()
    {
        var repository = OciTestContent.UniqueRepository("mirrorauth");
        var source = TestModels.WriteDirectory(_temp.Combine("src"), new Dictionary<string, byte[]> { ["weights.bin"] = OciTestContent.RandomBytes(8000, 2) });
        await TestModels.PushAsync(Origin.Host, repository, "v1", source, credential: RegistryCredential.Basic(User, Password));
        await TestModels.PushAsync(_mirror!.Host, repository, "v1", source, credential: RegistryCredential.Basic(User, Password));
        return repository;
    }

    private async Task PullAsync(string repository, RegistryMirror mirror)
    {
        var options = OciTestContent.QuickRetries();
        var host = new RegistryHostOptions();
        host.Mirrors.Add(mirror);
        options.Hosts[Origin.Host] = host;
        using var client = new RegistryClient(options, endpointObserver: _observer);
        var reference = OciReference.Parse($"{Origin.Host}/{repository}:v1");
        await new ModelPuller().PullAsync(client.Repository(reference, RegistryCredential.Basic(User, Password)), _temp.Combine("out-" + Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public async Task The_origins_credentials_never_reach_a_mirror_by_default_so_the_origin_serves()
    {
        var repository = await PushToBothAsync();

        await PullAsync(repository, new RegistryMirror { Endpoint = MirrorProxy.Host });

        Assert.NotEmpty(MirrorProxy.Requests);
        Assert.All(MirrorProxy.Requests, r => Assert.False(r.HasAuthorization));
        Assert.All(_observer.Served, r => Assert.Equal(Origin.Host, r.Endpoint));
    }

    [Fact]
    public async Task With_sendOriginCredentials_the_mirror_gets_them_and_the_configured_headers()
    {
        var repository = await PushToBothAsync();
        var mirror = new RegistryMirror { Endpoint = MirrorProxy.Host, SendOriginCredentials = true };
        mirror.Headers["X-Dragonfly-Registry"] = $"http://{Origin.Host}";

        await PullAsync(repository, mirror);

        Assert.All(_observer.Served, r => Assert.Equal(MirrorProxy.Host, r.Endpoint));
        Assert.Contains(MirrorProxy.Requests, r => r.HasAuthorization);
        Assert.All(MirrorProxy.Requests, r => Assert.Equal($"http://{Origin.Host}", r.Headers["X-Dragonfly-Registry"]));
    }
}
