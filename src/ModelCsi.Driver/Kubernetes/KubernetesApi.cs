using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using ModelCsi.Core.Kubernetes;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>
/// <see cref="IKubernetesApi"/> on the official client, configured by <see cref="KubernetesConnection"/>
/// (kubeconfig or in-cluster). Constructed only when pull-secret lookup or Events are enabled.
/// </summary>
public sealed class KubernetesApi : IKubernetesApi, IDisposable
{
    private readonly k8s.Kubernetes _client;

    public KubernetesApi(KubernetesClientConfiguration configuration) => _client = new k8s.Kubernetes(configuration);

    public Task<KubernetesPod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync($"pod {@namespace}/{name}", async () =>
        {
            var pod = await _client.CoreV1.ReadNamespacedPodAsync(name, @namespace, cancellationToken: cancellationToken);
            return new KubernetesPod(@namespace, name, pod.Metadata?.Uid, pod.Spec?.ServiceAccountName,
                [.. (pod.Spec?.ImagePullSecrets ?? []).Select(s => s.Name).Where(n => !string.IsNullOrEmpty(n))]);
        });

    public Task<KubernetesServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync($"service account {@namespace}/{name}", async () =>
        {
            var account = await _client.CoreV1.ReadNamespacedServiceAccountAsync(name, @namespace, cancellationToken: cancellationToken);
            return new KubernetesServiceAccount(@namespace, name,
                [.. (account.ImagePullSecrets ?? []).Select(s => s.Name).Where(n => !string.IsNullOrEmpty(n))]);
        });

    public Task<KubernetesSecret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken = default) =>
        ReadAsync($"secret {@namespace}/{name}", async () =>
        {
            var secret = await _client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken);
            return new KubernetesSecret(@namespace, name, secret.Type ?? "Opaque",
                secret.Data is null ? new Dictionary<string, byte[]>() : new Dictionary<string, byte[]>(secret.Data));
        });

    public async Task CreateEventAsync(KubernetesEvent kubernetesEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kubernetesEvent);
        var time = kubernetesEvent.Time.UtcDateTime;
        var body = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                // kubelet's scheme: the object's name plus a unique suffix.
                Name = $"{kubernetesEvent.PodName}.{time.Ticks:x}{Random.Shared.Next():x}",
                NamespaceProperty = kubernetesEvent.Namespace,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Name = kubernetesEvent.PodName,
                NamespaceProperty = kubernetesEvent.Namespace,
                Uid = kubernetesEvent.PodUid,
            },
            Type = kubernetesEvent.Type,
            Reason = kubernetesEvent.Reason,
            Message = kubernetesEvent.Message,
            FirstTimestamp = time,
            LastTimestamp = time,
            Count = 1,
            Source = new V1EventSource { Component = kubernetesEvent.ReportingComponent, Host = kubernetesEvent.ReportingInstance },
            ReportingComponent = kubernetesEvent.ReportingComponent,
            ReportingInstance = kubernetesEvent.ReportingInstance ?? "",
        };
        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(body, kubernetesEvent.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e)
        {
            throw new KubernetesApiException($"creating an Event on pod {kubernetesEvent.Namespace}/{kubernetesEvent.PodName}: HTTP {(int)e.Response.StatusCode}",
                (int)e.Response.StatusCode, e);
        }
    }

    private static async Task<T?> ReadAsync<T>(string what, Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            // The response body can echo the object; only the status goes into the message.
            throw new KubernetesApiException($"reading {what}: HTTP {(int)e.Response.StatusCode}", (int)e.Response.StatusCode, e);
        }
        catch (HttpRequestException e)
        {
            throw new KubernetesApiException($"reading {what}: {e.Message}", null, e);
        }
    }

    public void Dispose() => _client.Dispose();
}
