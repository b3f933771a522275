using k8s;
using Microsoft.Extensions.Options;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>
/// The driver's one way to the Kubernetes API, found like every Kubernetes component finds it:
/// <c>--kubeconfig</c> (or <c>kubernetes.kubeconfig</c>), then <c>KUBECONFIG</c>, then the in-cluster
/// service account. When none is there the Kubernetes features are off, said once in the log.
/// </summary>
public sealed class KubernetesConnection : IDisposable
{
    private readonly Lazy<IKubernetes?> _client;

    public KubernetesConnection(IOptions<KubernetesOptions> options, ILogger<KubernetesConnection> logger)
        : this(Find(options.Value, Environment.GetEnvironmentVariable("KUBECONFIG"), logger, out var source), source)
    {
    }

    public KubernetesConnection(KubernetesClientConfiguration? configuration, string source)
    {
        Configuration = configuration;
        Source = source;
        _client = new Lazy<IKubernetes?>(() => configuration is null ? null : new k8s.Kubernetes(configuration));
    }

    /// <summary>Null when no cluster is configured.</summary>
    public KubernetesClientConfiguration? Configuration { get; }

    /// <summary>Where the configuration came from (a kubeconfig path, "in-cluster" or "none").</summary>
    public string Source { get; }

    public bool IsAvailable => Configuration is not null;

    /// <summary>The client, or null when no cluster is configured.</summary>
    public IKubernetes? Client => _client.Value;

    public IKubernetes RequireClient() =>
        Client ?? throw new InvalidOperationException("no Kubernetes API is configured (no --kubeconfig, no KUBECONFIG, not in a cluster)");

    /// <exception cref="k8s.Exceptions.KubeConfigException">A named kubeconfig that cannot be read: a broken setup fails loudly.</exception>
    public static KubernetesClientConfiguration? Find(KubernetesOptions options, string? kubeconfigVariable, ILogger logger, out string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        var context = string.IsNullOrEmpty(options.Context) ? null : options.Context;
        if (!string.IsNullOrEmpty(options.Kubeconfig))
        {
            source = options.Kubeconfig;
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig, context);
        }

        // KUBECONFIG may list several files; like kubectl's loader we take the first that exists.
        var fromVariable = (kubeconfigVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
        if (fromVariable is not null)
        {
            source = fromVariable;
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(fromVariable, context);
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            source = "in-cluster";
            return KubernetesClientConfiguration.InClusterConfig();
        }

        source = "none";
        Log.KubernetesOff(logger);
        return null;
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value?.Dispose();
        }
    }
}
