using ModelCsi.Core.Oci;

namespace ModelCsi.Driver.Options;

/// <summary>
/// The <c>registries:</c> section of the config file, a list because host names carry ports and the
/// configuration system uses ':' as its path separator:
/// <code>
/// registries:
///   - host: registry.local:5000
///     plainHttp: true
/// </code>
/// </summary>
public sealed class RegistryOptions
{
    public IList<RegistryHostOptions> Registries { get; } = [];

    /// <summary>The registry client's view of these settings.</summary>
    public RegistryClientOptions ToClientOptions()
    {
        var client = new RegistryClientOptions();
        foreach (var registry in Registries)
        {
            client.Hosts[registry.Host] = new ModelCsi.Core.Oci.RegistryHostOptions
            {
                PlainHttp = registry.PlainHttp,
                SkipTlsVerify = registry.SkipTlsVerify,
            };
        }

        return client;
    }

    /// <summary>Settings for a host, or null for the defaults (HTTPS, verified TLS).</summary>
    public RegistryHostOptions? ForHost(string host) =>
        Registries.FirstOrDefault(r => string.Equals(r.Host, host, StringComparison.OrdinalIgnoreCase));
}
