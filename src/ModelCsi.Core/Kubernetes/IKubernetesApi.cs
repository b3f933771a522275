namespace ModelCsi.Core.Kubernetes;

/// <summary>
/// The few Kubernetes API calls the driver makes. Reads return null when the object does not exist;
/// other failures (forbidden, unreachable) throw <see cref="KubernetesApiException"/>.
/// </summary>
public interface IKubernetesApi
{
    Task<KubernetesPod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken = default);

    Task<KubernetesServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken = default);

    Task<KubernetesSecret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken = default);

    Task CreateEventAsync(KubernetesEvent kubernetesEvent, CancellationToken cancellationToken = default);
}
