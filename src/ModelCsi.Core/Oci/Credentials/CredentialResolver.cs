using Microsoft.Extensions.Logging;
using ModelCsi.Core.Kubernetes;

namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// Finds the credential for a registry by asking each source in order (CSI secrets, pod pull secrets,
/// node docker config) and logs which one answered, never the secret. Null means anonymous.
/// </summary>
public sealed class CredentialResolver(IEnumerable<ICredentialSource> sources, ILogger<CredentialResolver> logger)
{
    private readonly IReadOnlyList<ICredentialSource> _sources = [.. sources];

    public IReadOnlyList<ICredentialSource> Sources => _sources;

    public async Task<RegistryCredential?> ResolveAsync(string registry, CredentialContext context, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var source in _sources)
        {
            RegistryCredential? credential;
            try
            {
                credential = await source.GetAsync(registry, context, cancellationToken);
            }
            catch (Exception e) when (e is CredentialFormatException or KubernetesApiException)
            {
                // One broken source must not hide the next one; the pull fails later with a clear auth error if nothing works.
                Log.SourceFailed(logger, source.Name, registry, e.Message);
                continue;
            }

            if (credential is not null)
            {
                Log.CredentialFound(logger, registry, credential.Describe());
                return credential;
            }
        }

        Log.Anonymous(logger, registry, string.Join(", ", _sources.Select(s => s.Name)));
        return null;
    }
}
