using ModelCsi.Core.Oci;

namespace ModelCsi.Driver.Options;

/// <summary>
/// The registry settings at the top of the config file. <c>registries:</c> is a list because host names
/// carry ports and the configuration system uses ':' as its path separator:
/// <code>
/// httpProxy: http://proxy.corp:3128
/// noProxy: [".svc", ".cluster.local", "10.0.0.1"]
/// allowedRegistries: ["registry.corp.example", "*.models.example", "registry.local:5000"]
/// registries:
///   - host: registry.local:5000
///     plainHttp: true
///   - host: registry.corp.example
///     caBundlePath: /etc/modelcsi/ca.pem
///     mirrors:
///       - endpoint: http://127.0.0.1:4001
///         sendOriginCredentials: true
///         headers:
///           X-Dragonfly-Registry: https://registry.corp.example
/// </code>
/// </summary>
public sealed class DriverRegistryOptions
{
    public IList<DriverRegistryHostOptions> Registries { get; } = [];

    /// <summary>HTTP(S) proxy for all registry traffic.</summary>
    public string? HttpProxy { get; set; }

    /// <summary>Hosts reached directly despite <see cref="HttpProxy"/>.</summary>
    public IList<string> NoProxy { get; } = [];

    /// <summary>
    /// Registries model references may name (<c>host</c>, <c>host:port</c>, <c>*.domain</c>); empty allows any.
    /// Others are refused with PermissionDenied before any request is made.
    /// </summary>
    public IList<string> AllowedRegistries { get; } = [];

    /// <summary>The registry client's view of these settings.</summary>
    public RegistryClientOptions ToClientOptions()
    {
        var client = new RegistryClientOptions { HttpProxy = string.IsNullOrWhiteSpace(HttpProxy) ? null : HttpProxy };
        foreach (var entry in NoProxy)
        {
            client.NoProxy.Add(entry);
        }

        foreach (var pattern in AllowedRegistries)
        {
            client.AllowedRegistries.Add(pattern);
        }

        foreach (var registry in Registries)
        {
            var host = new ModelCsi.Core.Oci.RegistryHostOptions
            {
                PlainHttp = registry.PlainHttp,
                SkipTlsVerify = registry.SkipTlsVerify,
                CaBundlePath = registry.CaBundlePath,
                ClientCertificatePath = registry.ClientCertificatePath,
                ClientKeyPath = registry.ClientKeyPath,
            };
            foreach (var mirror in registry.Mirrors)
            {
                host.Mirrors.Add(mirror);
            }

            client.Hosts[registry.Host] = host;
        }

        return client;
    }

    /// <summary>Settings for a host, or null for the defaults (HTTPS, verified TLS).</summary>
    public DriverRegistryHostOptions? ForHost(string host) =>
        Registries.FirstOrDefault(r => string.Equals(r.Host, host, StringComparison.OrdinalIgnoreCase));
}
