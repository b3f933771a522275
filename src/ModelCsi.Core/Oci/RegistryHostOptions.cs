namespace ModelCsi.Core.Oci;

/// <summary>Connection settings for one registry host (<c>host[:port]</c>).</summary>
public sealed class RegistryHostOptions
{
    /// <summary>Use http:// instead of https://. Null means Docker's default: plain HTTP only for localhost and 127.0.0.0/8.</summary>
    public bool? PlainHttp { get; set; }

    /// <summary>Accept any TLS certificate from this host. For test registries only.</summary>
    public bool SkipTlsVerify { get; set; }
}
