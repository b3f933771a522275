using ModelCsi.Core.Oci;

namespace ModelCsi.Driver.Options;

/// <summary>Transport settings for one registry host (host[:port], as written in model references).</summary>
public sealed class DriverRegistryHostOptions
{
    public string Host { get; set; } = "";

    /// <summary>Talk HTTP instead of HTTPS; unset means HTTP for loopback hosts only, as docker does.</summary>
    public bool? PlainHttp { get; set; }

    /// <summary>Accept any TLS certificate; for self-signed lab registries only (logged as a warning).</summary>
    public bool SkipTlsVerify { get; set; }

    /// <summary>PEM file of extra CA certificates trusted for this host.</summary>
    public string? CaBundlePath { get; set; }

    /// <summary>PEM client certificate for mutual TLS.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of the client certificate.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Endpoints tried in order before this registry for pulls.</summary>
    public IList<RegistryMirror> Mirrors { get; } = [];
}
