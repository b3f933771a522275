using k8s;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.Driver.ModelCaches;
using ModelCsi.TestSupport;
using Prometheus;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>
/// A fake API server reached through a real kubeconfig file, and node agents (each with its own
/// in-memory cache) running the real client code against it.
/// </summary>
internal sealed class ModelCacheCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("modelcsi-mcache");
    private readonly List<(ModelCacheNodeAgent Agent, IKubernetes Client)> _agents = [];

    private ModelCacheCluster(FakeKubeApiServer server)
    {
        Server = server;
        Kubeconfig = server.WriteKubeconfig(_directory.Combine("kubeconfig"));
    }

    public FakeKubeApiServer Server { get; }

    public string Kubeconfig { get; }

    public CapturedLogs Logs { get; } = new();

    public static async Task<ModelCacheCluster> StartAsync(bool tls = false, string? token = null) =>
        new(await FakeKubeApiServer.StartAsync(tls, token));

    public IKubernetes Client() => new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

    public static ModelCacheResourceOptions Options() => new()
    {
        // Fast reconnects keep the tests quick; nothing waits on them for a fixed time.
        ReconnectBackoff = TimeSpan.FromMilliseconds(50),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        ProgressInterval = TimeSpan.FromSeconds(5),
    };

    /// <summary>Starts a node agent for <paramref name="node"/> (the Node object is created by the caller).</summary>
    public async Task<ModelCacheNodeAgent> StartNodeAsync(string node, IModelWarmer warmer, ModelCacheMetrics? metrics = null,
        ModelCacheResourceOptions? options = null, TimeProvider? time = null, bool pullSecrets = false)
    {
        var client = Client();
        IKubernetesApi? secrets = pullSecrets ? new KubernetesApi(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig)) : null;
        var agent = new ModelCacheNodeAgent(client, node, warmer, secrets, options ?? Options(), metrics ?? new ModelCacheMetrics(Metrics.NewCustomRegistry()),
            time ?? TimeProvider.System, Logs);
        await agent.StartAsync(CancellationToken.None);
        _agents.Add((agent, client));
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (agent, client) in _agents)
        {
            await agent.StopAsync(CancellationToken.None);
            agent.Dispose();
            client.Dispose();
        }

        await Server.DisposeAsync();
        _directory.Dispose();
    }
}
