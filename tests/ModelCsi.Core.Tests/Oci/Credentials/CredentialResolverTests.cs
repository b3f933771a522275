using System.Text;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci.Credentials;

public sealed class CredentialResolverTests : IDisposable
{
    private const string Registry = "registry.example:5000";
    private readonly TempDirectory _temp = new();
    private readonly CapturedLogs _logs = new();
    private readonly FakeKubernetesApi _api = new();

    public void Dispose() => _temp.Dispose();

    private static string DockerConfigJson(string host, string user, string password) =>
        $$"""{"auths":{"{{host}}":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))}}"} } }""";

    private string WriteNodeConfig(string user, string password)
    {
        var path = _temp.Combine("config.json");
        File.WriteAllText(path, DockerConfigJson(Registry, user, password));
        return path;
    }

    private CredentialResolver Resolver(params string[] nodeConfigPaths) => new(
        [
            new SecretsCredentialSource(),
            new PodPullSecretsCredentialSource(_api, _logs.For<PodPullSecretsCredentialSource>()),
            new DockerConfigFileCredentialSource(nodeConfigPaths, _logs.For<DockerConfigFileCredentialSource>()),
        ],
        _logs.For<CredentialResolver>());

    private void AddPod(string[] podSecrets, string serviceAccount = "builder", string[]? serviceAccountSecrets = null)
    {
        _api.AddPod(new KubernetesPod("team", "inference-0", "uid-1", serviceAccount, podSecrets));
        _api.AddServiceAccount(new KubernetesServiceAccount("team", serviceAccount, serviceAccountSecrets ?? []));
    }

    private static CredentialContext PodContext(IReadOnlyDictionary<string, string>? secrets = null) => CredentialContext.FromVolume(secrets,
        new Dictionary<string, string>
        {
            [CredentialContext.PodNamespaceKey] = "team",
            [CredentialContext.PodNameKey] = "inference-0",
            [CredentialContext.ServiceAccountNameKey] = "builder",
        });

    [Fact]
    public async Task Csi_secrets_win_over_pod_secrets_and_the_node_config()
    {
        AddPod(["pod-pull"]);
        _api.AddDockerConfigSecret("team", "pod-pull", DockerConfigJson(Registry, "pod-user", "pod-pw"));
        var resolver = Resolver(WriteNodeConfig("node-user", "node-pw"));

        var credential = await resolver.ResolveAsync(Registry, PodContext(new Dictionary<string, string> { ["username"] = "csi-user", ["password"] = "csi-pw" }));

        Assert.Equal("csi-user", credential?.Username);
        Assert.Contains("CSI secrets", credential!.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dockerconfigjson_csi_secret_is_matched_by_host_and_falls_through_when_the_host_is_absent()
    {
        AddPod(["pod-pull"]);
        _api.AddDockerConfigSecret("team", "pod-pull", DockerConfigJson(Registry, "pod-user", "pod-pw"));
        var resolver = Resolver();

        var matching = await resolver.ResolveAsync(Registry, PodContext(new Dictionary<string, string> { [".dockerconfigjson"] = DockerConfigJson(Registry, "csi-user", "x") }));
        var otherHost = await resolver.ResolveAsync(Registry, PodContext(new Dictionary<string, string> { [".dockerconfigjson"] = DockerConfigJson("elsewhere.example", "csi-user", "x") }));

        Assert.Equal("csi-user", matching?.Username);
        Assert.Equal("pod-user", otherHost?.Username);
    }

    [Fact]
    public async Task Pod_pull_secrets_come_before_the_service_account_ones_and_missing_or_foreign_secrets_are_skipped()
    {
        AddPod(["missing", "opaque", "pod-other-registry", "pod-pull"], serviceAccountSecrets: ["sa-pull"]);
        _api.AddSecret(new KubernetesSecret("team", "opaque", "Opaque", new Dictionary<string, byte[]> { ["password"] = "x"u8.ToArray() }));
        _api.AddDockerConfigSecret("team", "pod-other-registry", DockerConfigJson("elsewhere.example", "nope", "x"));
        _api.AddDockerConfigSecret("team", "pod-pull", DockerConfigJson(Registry, "pod-user", "pod-pw"));
        _api.AddDockerConfigSecret("team", "sa-pull", DockerConfigJson(Registry, "sa-user", "sa-pw"));

        var credential = await Resolver().ResolveAsync(Registry, PodContext());

        Assert.Equal("pod-user", credential?.Username);
        Assert.Equal("imagePullSecret team/pod-pull (pod)", credential!.Source);
    }

    [Fact]
    public async Task The_service_account_pull_secrets_are_used_when_the_pod_has_none()
    {
        AddPod([], serviceAccountSecrets: ["sa-pull"]);
        _api.AddDockerConfigSecret("team", "sa-pull", DockerConfigJson(Registry, "sa-user", "sa-pw"));
        // A secret of the same name in another namespace must not be visible.
        _api.AddDockerConfigSecret("other", "sa-pull", DockerConfigJson(Registry, "wrong-namespace", "x"));

        var credential = await Resolver().ResolveAsync(Registry, PodContext());

        Assert.Equal("sa-user", credential?.Username);
        Assert.Contains("service account builder", credential!.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forbidden_kubernetes_access_falls_through_to_the_node_config()
    {
        AddPod(["pod-pull"]);
        _api.AddDockerConfigSecret("team", "pod-pull", DockerConfigJson(Registry, "pod-user", "pod-pw"));
        _api.Forbidden.Add("secrets");

        var credential = await Resolver(WriteNodeConfig("node-user", "node-pw")).ResolveAsync(Registry, PodContext());

        Assert.Equal("node-user", credential?.Username);
        Assert.Contains(_logs.Lines, line => line.Contains("forbidden", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_pod_info_the_kubernetes_api_is_not_called()
    {
        var credential = await Resolver().ResolveAsync(Registry, CredentialContext.None);

        Assert.Null(credential);
        Assert.Equal(0, _api.Reads);
        Assert.Contains(_logs.Lines, line => line.Contains("anonymously", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_node_config_is_read_again_when_the_file_changes()
    {
        var path = WriteNodeConfig("before", "pw");
        var resolver = Resolver(_temp.Combine("absent.json"), path);
        Assert.Equal("before", (await resolver.ResolveAsync(Registry, CredentialContext.None))?.Username);

        File.WriteAllText(path, DockerConfigJson(Registry, "after-longer-name", "pw"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));

        Assert.Equal("after-longer-name", (await resolver.ResolveAsync(Registry, CredentialContext.None))?.Username);
    }

    [Fact]
    public async Task Logs_name_the_source_but_never_the_secret()
    {
        AddPod(["pod-pull"]);
        _api.AddDockerConfigSecret("team", "pod-pull", DockerConfigJson(Registry, "pod-user", "pod-secret-value"));
        var resolver = Resolver(WriteNodeConfig("node-user", "node-secret-value"));

        await resolver.ResolveAsync(Registry, PodContext(new Dictionary<string, string> { [".dockerconfigjson"] = "{broken csi-secret-value" }));
        await resolver.ResolveAsync("elsewhere.example", PodContext());

        Assert.Contains(_logs.Lines, line => line.Contains("imagePullSecret team/pod-pull", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, line => line.Contains("is not a docker config", StringComparison.Ordinal));
        foreach (var secret in new[] { "pod-secret-value", "node-secret-value", "csi-secret-value" })
        {
            Assert.DoesNotContain(secret, _logs.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_context_prints_secret_keys_but_not_values()
    {
        var context = PodContext(new Dictionary<string, string> { ["password"] = "hunter2" });

        Assert.Contains("password", context.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", context.ToString(), StringComparison.Ordinal);
    }
}
