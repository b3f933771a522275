namespace ModelCsi.TestSupport;

/// <summary>How to configure a test registry: no auth, htpasswd Basic auth, or token auth.</summary>
public sealed record RegistryProcessOptions
{
    /// <summary>Users and passwords for htpasswd Basic auth; null for none.</summary>
    public IReadOnlyDictionary<string, string>? BasicUsers { get; init; }

    /// <summary>A token server the registry trusts (distribution <c>auth.token</c>); null for none.</summary>
    public TokenServer? TokenServer { get; init; }

    /// <summary>Serve HTTPS with these certificates; null for plain HTTP.</summary>
    public TestCertificates? Tls { get; init; }

    /// <summary>With <see cref="Tls"/>: require a client certificate signed by the test CA.</summary>
    public bool RequireClientCertificate { get; init; }
}
