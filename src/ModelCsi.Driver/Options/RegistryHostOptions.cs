namespace ModelCsi.Driver.Options;

/// <summary>Transport settings for one registry host (host[:port], as written in model references).</summary>
public sealed class RegistryHostOptions
{
    public string Host { get; set; } = "";

    /// <summary>Talk HTTP instead of HTTPS; unset means HTTP for loopback hosts only, as docker does.</summary>
    public bool? PlainHttp { get; set; }

    /// <summary>Accept any TLS certificate; for self-signed lab registries only.</summary>
    public bool SkipTlsVerify { get; set; }
}
