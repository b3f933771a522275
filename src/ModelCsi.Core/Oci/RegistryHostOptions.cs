namespace ModelCsi.Core.Oci;

/// <summary>Connection settings for one registry host (<c>host[:port]</c>).</summary>
public sealed class RegistryHostOptions
{
    /// <summary>Use http:// instead of https://. Null means Docker's default: plain HTTP only for localhost and 127.0.0.0/8.</summary>
    public bool? PlainHttp { get; set; }

    /// <summary>Accept any TLS certificate from this host. For test registries only.</summary>
    public bool SkipTlsVerify { get; set; }

    /// <summary>PEM file of CA certificates trusted for this host in addition to the system's.</summary>
    public string? CaBundlePath { get; set; }

    /// <summary>PEM client certificate for mutual TLS; needs <see cref="ClientKeyPath"/>.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Endpoints tried, in order, before the registry itself for pulls (pull-through caches, a Dragonfly dfdaemon).</summary>
    public IList<RegistryMirror> Mirrors { get; } = [];

    /// <summary>The TLS part of these settings, which decides the HTTP connection pool to use.</summary>
    internal TlsProfile Tls => new(SkipTlsVerify, CaBundlePath, ClientCertificatePath, ClientKeyPath);
}
