using k8s.Exceptions;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.Driver.Options;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests.Kubernetes;

/// <summary>Finding the API server like every Kubernetes component: --kubeconfig, then KUBECONFIG, then in-cluster, else off.</summary>
public sealed class KubernetesConnectionTests : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-kubeconfig");
    private readonly CapturedLogs _logs = new();

    public void Dispose() => _temp.Dispose();

    private static async Task<string?> ServiceAccountOfAsync(KubernetesConnection connection)
    {
        using var api = new KubernetesApi(connection.Configuration!);
        return (await api.GetPodAsync("ml", "server-0"))?.ServiceAccountName;
    }

    [Fact]
    public async Task A_kubeconfig_named_by_the_option_reaches_a_plain_HTTP_server()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        server.PutPod("ml", "server-0", "uid", "runner");
        var path = server.WriteKubeconfig(_temp.Combine("plain"));

        var configuration = KubernetesConnection.Find(new KubernetesOptions { Kubeconfig = path }, kubeconfigVariable: null, _logs.For<KubernetesConnection>(), out var source);

        Assert.Equal(path, source);
        Assert.Equal("runner", await ServiceAccountOfAsync(new KubernetesConnection(configuration, source)));
    }

    [Fact]
    public async Task KUBECONFIG_names_a_TLS_server_with_a_bearer_token_and_the_first_existing_file_wins()
    {
        await using var server = await FakeKubeApiServer.StartAsync(tls: true, bearerToken: "s3cret-token");
        server.PutPod("ml", "server-0", "uid", "runner");
        var path = server.WriteKubeconfig(_temp.Combine("tls"));

        var configuration = KubernetesConnection.Find(new KubernetesOptions(), $"{_temp.Combine("missing")}:{path}", _logs.For<KubernetesConnection>(), out var source);

        Assert.Equal(path, source);
        Assert.Equal("runner", await ServiceAccountOfAsync(new KubernetesConnection(configuration, source)));
        Assert.All(server.Requests, r => Assert.DoesNotContain("s3cret-token", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_token_is_refused_with_401_and_the_token_never_shows_in_the_error()
    {
        await using var server = await FakeKubeApiServer.StartAsync(tls: true, bearerToken: "right-token");
        var path = server.WriteKubeconfig(_temp.Combine("wrong"));
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("right-token", "wrong-token", StringComparison.Ordinal));
        using var api = new KubernetesApi(KubernetesConnection.Find(new KubernetesOptions { Kubeconfig = path }, null, _logs.For<KubernetesConnection>(), out _)!);

        var refused = await Assert.ThrowsAsync<KubernetesApiException>(() => api.GetPodAsync("ml", "server-0"));

        Assert.Equal(401, refused.StatusCode);
        Assert.DoesNotContain("token", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_kubeconfig_that_cannot_be_read_fails_loudly()
    {
        Assert.ThrowsAny<KubeConfigException>(() =>
            KubernetesConnection.Find(new KubernetesOptions { Kubeconfig = _temp.Combine("absent") }, null, _logs.For<KubernetesConnection>(), out _));
    }

    [Fact]
    public void Without_any_configuration_the_Kubernetes_features_are_off_with_one_log_line()
    {
        var configuration = KubernetesConnection.Find(new KubernetesOptions(), kubeconfigVariable: null, _logs.For<KubernetesConnection>(), out var source);

        Assert.Null(configuration);
        Assert.Equal("none", source);
        Assert.Single(_logs.Lines, l => l.Contains("No Kubernetes API configured", StringComparison.Ordinal));
        Assert.Null(new KubernetesConnection(configuration, source).Client);
    }

    [Fact]
    public void The_kubeconfig_flag_sets_the_option()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationManager();

        DriverConfiguration.Apply(configuration, DriverCommandLine.Parse(["--kubeconfig", "/etc/kube/config"]));

        Assert.Equal("/etc/kube/config", configuration["kubernetes:kubeconfig"]);
    }
}
