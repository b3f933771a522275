using Microsoft.Extensions.Logging;
using ModelCsi.Core.Kubernetes;

namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// The pod's <c>imagePullSecrets</c>, then those of its ServiceAccount, as the kubelet uses them for images:
/// only docker config secrets count, the first that has the registry wins, missing secrets are skipped.
/// </summary>
public sealed class PodPullSecretsCredentialSource(IKubernetesApi api, ILogger<PodPullSecretsCredentialSource> logger) : ICredentialSource
{
    public string Name => "pod imagePullSecrets";

    public async Task<RegistryCredential?> GetAsync(string registry, CredentialContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.HasPod)
        {
            return null;
        }

        var @namespace = context.PodNamespace!;
        var pod = await api.GetPodAsync(@namespace, context.PodName!, cancellationToken);
        if (pod is null)
        {
            Log.PodNotFound(logger, @namespace, context.PodName!);
            return null;
        }

        var candidates = new List<(string Secret, string Via)>();
        candidates.AddRange(pod.ImagePullSecrets.Select(name => (name, "pod")));
        var serviceAccountName = pod.ServiceAccountName ?? context.ServiceAccountName ?? "default";
        var serviceAccount = await api.GetServiceAccountAsync(@namespace, serviceAccountName, cancellationToken);
        if (serviceAccount is not null)
        {
            candidates.AddRange(serviceAccount.ImagePullSecrets.Select(name => (name, $"service account {serviceAccountName}")));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, via) in candidates)
        {
            if (!seen.Add(name))
            {
                continue;
            }

            var secret = await api.GetSecretAsync(@namespace, name, cancellationToken);
            if (secret is null)
            {
                Log.PullSecretNotFound(logger, @namespace, name, via);
                continue;
            }

            var key = secret.Type switch
            {
                KubernetesSecret.DockerConfigJsonType => KubernetesSecret.DockerConfigJsonKey,
                KubernetesSecret.DockerCfgType => KubernetesSecret.DockerCfgKey,
                _ => null,
            };
            if (key is null || !secret.Data.TryGetValue(key, out var json))
            {
                Log.PullSecretIgnored(logger, @namespace, name, secret.Type);
                continue;
            }

            DockerConfig config;
            try
            {
                config = DockerConfig.Parse(json);
            }
            catch (FormatException e)
            {
                Log.PullSecretUnreadable(logger, @namespace, name, e.Message);
                continue;
            }

            if (config.Find(registry, $"imagePullSecret {@namespace}/{name} ({via})") is { } credential)
            {
                return credential;
            }
        }

        return null;
    }
}
