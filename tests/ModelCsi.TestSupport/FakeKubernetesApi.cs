using System.Collections.Concurrent;
using ModelCsi.Core.Kubernetes;

namespace ModelCsi.TestSupport;

/// <summary>
/// An in-memory Kubernetes API with the real one's rules that matter here: objects live in namespaces,
/// a missing object reads as null, a forbidden kind throws <see cref="KubernetesApiException"/> (403), and
/// created Events are recorded in order.
/// </summary>
public sealed class FakeKubernetesApi : IKubernetesApi
{
    private readonly ConcurrentDictionary<(string Namespace, string Name), KubernetesPod> _pods = new();
    private readonly ConcurrentDictionary<(string Namespace, string Name), KubernetesServiceAccount> _serviceAccounts = new();
    private readonly ConcurrentDictionary<(string Namespace, string Name), KubernetesSecret> _secrets = new();
    private readonly ConcurrentQueue<KubernetesEvent> _events = new();
    private int _reads;

    /// <summary>Kinds ("pods", "serviceaccounts", "secrets", "events") the caller's RBAC does not allow.</summary>
    public ISet<string> Forbidden { get; } = new HashSet<string>(StringComparer.Ordinal);

    public IReadOnlyList<KubernetesEvent> Events => [.. _events];

    /// <summary>Reads of any kind so far.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public void AddPod(KubernetesPod pod) => _pods[(pod.Namespace, pod.Name)] = pod;

    public void AddServiceAccount(KubernetesServiceAccount account) => _serviceAccounts[(account.Namespace, account.Name)] = account;

    public void AddSecret(KubernetesSecret secret) => _secrets[(secret.Namespace, secret.Name)] = secret;

    /// <summary>A <c>kubernetes.io/dockerconfigjson</c> secret holding <paramref name="dockerConfigJson"/>.</summary>
    public void AddDockerConfigSecret(string @namespace, string name, string dockerConfigJson) =>
        AddSecret(new KubernetesSecret(@namespace, name, KubernetesSecret.DockerConfigJsonType,
            new Dictionary<string, byte[]> { [KubernetesSecret.DockerConfigJsonKey] = System.Text.Encoding.UTF8.GetBytes(dockerConfigJson) }));

    public Task<KubernetesPod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync("pods", _pods, @namespace, name, cancellationToken);

    public Task<KubernetesServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync("serviceaccounts", _serviceAccounts, @namespace, name, cancellationToken);

    public Task<KubernetesSecret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync("secrets", _secrets, @namespace, name, cancellationToken);

    public Task CreateEventAsync(KubernetesEvent kubernetesEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kubernetesEvent);
        cancellationToken.ThrowIfCancellationRequested();
        if (Forbidden.Contains("events"))
        {
            throw new KubernetesApiException($"events is forbidden in namespace {kubernetesEvent.Namespace}", 403);
        }

        _events.Enqueue(kubernetesEvent);
        return Task.CompletedTask;
    }

    private Task<T?> ReadAsync<T>(string kind, ConcurrentDictionary<(string, string), T> store, string @namespace, string name, CancellationToken cancellationToken)
        where T : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _reads);
        if (Forbidden.Contains(kind))
        {
            throw new KubernetesApiException($"{kind} \"{name}\" is forbidden in namespace {@namespace}", 403);
        }

        return Task.FromResult(store.TryGetValue((@namespace, name), out var found) ? found : null);
    }
}
