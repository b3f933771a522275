using System.Text;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Resolves <c>spec.modelRef</c> to the model's manifest digest with the driver's registry client and
/// credentials (plus the ModelCache's own pull secret, when pull secrets are on), as CreateVolume does.
/// </summary>
public sealed class ModelRefResolver(RegistryClient registry, CredentialResolver credentials, IKubernetesApi? secrets)
{
    /// <exception cref="Exception">Any failure to resolve; the message is for the status condition.</exception>
    public async Task<string> ResolveAsync(ModelCacheSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var reference = OciReference.Parse(spec.ModelRef);
        var csiSecrets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.PullSecretRef is { } secretRef)
        {
            if (secrets is null)
            {
                throw new InvalidOperationException($"spec.pullSecretRef {secretRef} is set but pull secrets are off on this driver (modelCache.pullSecrets)");
            }

            var secret = await secrets.GetSecretAsync(secretRef.Namespace, secretRef.Name, cancellationToken)
                ?? throw new InvalidOperationException($"pull secret {secretRef} not found");
            if (secret.Data.TryGetValue(KubernetesSecret.DockerConfigJsonKey, out var json))
            {
                csiSecrets[KubernetesSecret.DockerConfigJsonKey] = Encoding.UTF8.GetString(json);
            }
        }

        var credential = await credentials.ResolveAsync(reference.Registry, CredentialContext.None with { Secrets = csiSecrets }, cancellationToken);
        var resolved = await ModelResolver.ResolveAsync(registry.Repository(reference, credential), cancellationToken);
        return resolved.ManifestDigest;
    }
}
