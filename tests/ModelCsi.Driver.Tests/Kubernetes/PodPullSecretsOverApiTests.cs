using System.Text;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests.Kubernetes;

/// <summary>
/// A pod's (and its ServiceAccount's) imagePullSecrets read by the real client through a kubeconfig from the
/// HTTP-level fake API server, then used against a real registry with Basic auth.
/// </summary>
public sealed class PodPullSecretsOverApiTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly CapturedLogs _logs = new();
    private FakeKubeApiServer _server = null!;
    private KubernetesApi _api = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        _api = new KubernetesApi(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.WriteKubeconfig(_temp.Combine("kubeconfig"))));
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private string DockerConfigJson() =>
        $$"""{"auths":{"{{fixture.Registry.Host}}":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistryFixture.User}:{BasicAuthRegistryFixture.Password}"))}}"} } }""";

    private async Task<string> PushModelAsync()
    {
        var repository = OciTestContent.UniqueRepository("podcreds");
        var source = TestModels.WriteDirectory(_temp.Combine("src"), new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(20_000, 3) });
        await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", source,
            credential: RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password));
        return $"{fixture.Registry.Host}/{repository}:v1";
    }

    private async Task<PullResult> PullAsync(string reference)
    {
        var resolver = new CredentialResolver([new PodPullSecretsCredentialSource(_api, _logs.For<PodPullSecretsCredentialSource>())], _logs.For<CredentialResolver>());
        var parsed = OciReference.Parse(reference);
        var context = CredentialContext.FromVolume(null, new Dictionary<string, string>
        {
            [CredentialContext.PodNamespaceKey] = "ml",
            [CredentialContext.PodNameKey] = "server-0",
        });
        var credential = await resolver.ResolveAsync(parsed.Registry, context);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        return await new ModelPuller().PullAsync(client.Repository(parsed, credential), _temp.Combine("out-" + Guid.NewGuid().ToString("N")));
    }

    [Fact]
    public async Task The_pods_image_pull_secret_pulls_the_model()
    {
        var reference = await PushModelAsync();
        _server.PutPod("ml", "server-0", "uid-1", "default", "regcred");
        _server.PutDockerConfigSecret("ml", "regcred", DockerConfigJson());

        var result = await PullAsync(reference);

        Assert.Equal(1, result.FilesWritten);
        Assert.Contains(_logs.Lines, line => line.Contains("imagePullSecret ml/regcred (pod)", StringComparison.Ordinal));
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, _logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_accounts_image_pull_secret_pulls_the_model()
    {
        var reference = await PushModelAsync();
        _server.PutPod("ml", "server-0", "uid-1", "puller");
        _server.PutServiceAccount("ml", "puller", "sa-regcred");
        _server.PutDockerConfigSecret("ml", "sa-regcred", DockerConfigJson());

        await PullAsync(reference);

        Assert.Contains(_logs.Lines, line => line.Contains("imagePullSecret ml/sa-regcred (service account puller)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_pod_reads_as_null_and_a_forbidden_secret_is_a_403_without_the_body()
    {
        Assert.Null(await _api.GetPodAsync("ml", "absent"));
        _server.PutDockerConfigSecret("ml", "regcred", DockerConfigJson());
        _server.Forbidden.Add("secrets");

        var refused = await Assert.ThrowsAsync<KubernetesApiException>(() => _api.GetSecretAsync("ml", "regcred"));

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal("reading secret ml/regcred: HTTP 403", refused.Message);
    }
}
