namespace ModelCsi.Core.Oci;

/// <summary>
/// An endpoint tried before the origin registry for pulls. The repository path is rewritten the way
/// registries.conf and containerd's hosts.toml do: <c>origin/repo</c> becomes <c>endpoint/PathPrefix/repo</c>.
/// </summary>
public sealed class RegistryMirror
{
    /// <summary><c>host[:port]</c>, or <c>http://host[:port]</c> / <c>https://host[:port]</c> to fix the scheme.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Use http://; null means: the scheme of <see cref="Endpoint"/> if given, else plain HTTP only for loopback hosts.</summary>
    public bool? PlainHttp { get; set; }

    /// <summary>Accept any TLS certificate from the mirror. Discouraged; logged at startup.</summary>
    public bool SkipTlsVerify { get; set; }

    public string? CaBundlePath { get; set; }

    public string? ClientCertificatePath { get; set; }

    public string? ClientKeyPath { get; set; }

    /// <summary>Prefix put in front of the repository path on the mirror (e.g. <c>docker-cache</c>).</summary>
    public string? PathPrefix { get; set; }

    /// <summary>Also resolve tags through the mirror (containerd's "resolve" capability); false: digests only.</summary>
    public bool ResolveTags { get; set; } = true;

    /// <summary>
    /// Send the origin registry's credentials to the mirror. Off by default so a cache never sees them;
    /// proxies that forward to the origin (Dragonfly) need it for private repositories.
    /// </summary>
    public bool SendOriginCredentials { get; set; }

    /// <summary>Extra request headers for the mirror, e.g. <c>X-Dragonfly-Registry: https://origin</c>.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    internal TlsProfile Tls => new(SkipTlsVerify, CaBundlePath, ClientCertificatePath, ClientKeyPath);

    /// <summary>The mirror's base URI (<c>scheme://host[:port]/</c>).</summary>
    public Uri BaseUri()
    {
        var endpoint = Endpoint.Trim().TrimEnd('/');
        if (endpoint.Length == 0)
        {
            throw new ArgumentException("a registry mirror needs an endpoint");
        }

        string? scheme = null;
        if (endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "http";
            endpoint = endpoint["http://".Length..];
        }
        else if (endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "https";
            endpoint = endpoint["https://".Length..];
        }

        if (endpoint.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"registry mirror endpoint '{Endpoint}' has a path; put it in pathPrefix instead");
        }

        if (PlainHttp is { } plain)
        {
            scheme = plain ? "http" : "https";
        }

        scheme ??= RegistryClient.IsLoopback(new Uri($"http://{endpoint}/").Host.Trim('[', ']')) ? "http" : "https";
        return new Uri($"{scheme}://{endpoint}/");
    }

    /// <summary>The repository path on the mirror.</summary>
    public string RepositoryPath(string repository)
    {
        var prefix = PathPrefix?.Trim('/');
        return string.IsNullOrEmpty(prefix) ? repository : $"{prefix}/{repository}";
    }
}
