namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// Credentials in the request's CSI secrets: a <c>.dockerconfigjson</c> (or <c>.dockercfg</c>) key, as in a
/// <c>kubernetes.io/dockerconfigjson</c> secret, matched by host; else <c>username</c> and <c>password</c> keys,
/// used for any registry.
/// </summary>
public sealed class SecretsCredentialSource : ICredentialSource
{
    public const string UsernameKey = "username";
    public const string PasswordKey = "password";

    public string Name => "CSI secrets";

    public Task<RegistryCredential?> GetAsync(string registry, CredentialContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var secrets = context.Secrets;
        foreach (var key in new[] { Kubernetes.KubernetesSecret.DockerConfigJsonKey, Kubernetes.KubernetesSecret.DockerCfgKey })
        {
            if (secrets.TryGetValue(key, out var json))
            {
                DockerConfig config;
                try
                {
                    config = DockerConfig.Parse(json);
                }
                catch (FormatException e)
                {
                    throw new CredentialFormatException($"the CSI secret key '{key}' is not a docker config: {e.Message}", e);
                }

                if (config.Find(registry, $"CSI secrets ({key})") is { } found)
                {
                    return Task.FromResult<RegistryCredential?>(found);
                }
            }
        }

        return Task.FromResult(
            secrets.TryGetValue(UsernameKey, out var user) && secrets.TryGetValue(PasswordKey, out var password)
                ? RegistryCredential.Basic(user, password, "CSI secrets (username/password)")
                : null);
    }
}
