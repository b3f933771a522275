using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Driver;
using ModelCsi.Driver.Options;
using ModelCsi.Driver.Tests.Support;
using Xunit;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests;

public sealed class RegistryAccessOptionsTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private IConfiguration Yaml(string text)
    {
        var path = _scratch.Combine("config.yaml");
        File.WriteAllText(path, text);
        return new ConfigurationBuilder().AddInMemoryCollection(DriverConfiguration.ReadYaml(path)).Build();
    }

    [Fact]
    public void Mirrors_tls_files_and_the_proxy_reach_the_registry_client_options()
    {
        var configuration = Yaml("""
            httpProxy: http://proxy.corp:3128
            noProxy: [".svc", "registry.local:5000"]
            registries:
              - host: registry.corp.example
                caBundlePath: /etc/modelcsi/ca.pem
                clientCertificatePath: /etc/modelcsi/client.pem
                clientKeyPath: /etc/modelcsi/client-key.pem
                mirrors:
                  - endpoint: http://127.0.0.1:4001
                    sendOriginCredentials: true
                    headers:
                      X-Dragonfly-Registry: https://registry.corp.example
                  - endpoint: cache.corp.example
                    pathPrefix: corp
                    resolveTags: false
            """);
        var registries = new DriverRegistryOptions();
        configuration.Bind(registries);

        var client = registries.ToClientOptions();

        Assert.Equal("http://proxy.corp:3128", client.HttpProxy);
        Assert.Equal([".svc", "registry.local:5000"], client.NoProxy);
        var host = client.ForHost("registry.corp.example");
        Assert.Equal(("/etc/modelcsi/ca.pem", "/etc/modelcsi/client.pem", "/etc/modelcsi/client-key.pem"),
            (host.CaBundlePath, host.ClientCertificatePath, host.ClientKeyPath));
        Assert.Equal(2, host.Mirrors.Count);
        Assert.Equal(new Uri("http://127.0.0.1:4001/"), host.Mirrors[0].BaseUri());
        Assert.True(host.Mirrors[0].SendOriginCredentials);
        Assert.Equal("https://registry.corp.example", host.Mirrors[0].Headers["X-Dragonfly-Registry"]);
        Assert.Equal(new Uri("https://cache.corp.example/"), host.Mirrors[1].BaseUri());
        Assert.Equal("corp/team/model", host.Mirrors[1].RepositoryPath("team/model"));
        Assert.False(host.Mirrors[1].ResolveTags);
    }

    [Fact]
    public void Credential_sources_follow_the_credentials_section_and_secrets_always_come_first()
    {
        var configuration = Yaml("""
            nodeId: node-a
            credentials:
              podPullSecrets: true
              dockerConfigPaths: [/etc/modelcsi/config.json]
            events:
              enabled: true
              progressInterval: "00:00:10"
            """);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddOptions<DriverOptions>().Bind(configuration);
        services.AddRegistryAccess(configuration);
        // In-cluster config is not available here; the fake stands in for the API server.
        services.AddSingleton<IKubernetesApi>(new ModelCsi.TestSupport.FakeKubernetesApi());
        using var provider = services.BuildServiceProvider();

        var resolver = provider.GetRequiredService<CredentialResolver>();
        var events = provider.GetRequiredService<IOptions<PullEventOptions>>().Value;

        Assert.Equal(["CSI secrets", "pod imagePullSecrets", "node docker config"], resolver.Sources.Select(s => s.Name));
        Assert.True(events.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(10), events.ProgressInterval);
        Assert.NotNull(provider.GetRequiredService<PullEventReporterFactory>());
    }

    [Fact]
    public void By_default_only_csi_secrets_and_the_nodes_docker_config_are_used()
    {
        var configuration = Yaml("nodeId: node-a\n");
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddOptions<DriverOptions>().Bind(configuration);
        services.AddRegistryAccess(configuration);
        using var provider = services.BuildServiceProvider();

        var resolver = provider.GetRequiredService<CredentialResolver>();

        Assert.Equal(["CSI secrets", "node docker config"], resolver.Sources.Select(s => s.Name));
        Assert.Equal(DockerConfigFileCredentialSource.DefaultPaths, provider.GetRequiredService<IOptions<CredentialOptions>>().Value.EffectiveDockerConfigPaths);
    }

    [Fact]
    public void A_publish_requests_secrets_and_pod_info_make_the_credential_context()
    {
        var request = new Csi.V1.NodePublishVolumeRequest();
        request.Secrets.Add(".dockerconfigjson", "{}");
        request.VolumeContext.Add("csi.storage.k8s.io/pod.namespace", "ml");
        request.VolumeContext.Add("csi.storage.k8s.io/pod.name", "server-0");
        request.VolumeContext.Add("csi.storage.k8s.io/pod.uid", "uid-1");
        request.VolumeContext.Add("csi.storage.k8s.io/serviceAccount.name", "puller");

        var context = CredentialContext.FromVolume(request.Secrets, request.VolumeContext);

        Assert.Equal(("ml", "server-0", "uid-1", "puller"), (context.PodNamespace, context.PodName, context.PodUid, context.ServiceAccountName));
        Assert.Equal("{}", context.Secrets[".dockerconfigjson"]);
    }
}
