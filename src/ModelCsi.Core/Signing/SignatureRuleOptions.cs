namespace ModelCsi.Core.Signing;

/// <summary>One rule of the <c>signatures:</c> section, as written in the configuration.</summary>
public sealed class SignatureRuleOptions
{
    /// <summary>Names the rule in messages, logs and events. A rule named <c>default</c> without a match applies to
    /// every reference no other rule matches, wherever it stands in the list.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>host[:port]/repository</c> pattern: <c>*</c> matches within one path component, <c>**</c> across
    /// components, e.g. <c>registry.example.com/models/**</c>.</summary>
    public string? Match { get; set; }

    public SignatureMode Mode { get; set; } = SignatureMode.Enforce;

    /// <summary>Trusted public keys: PEM text (<c>-----BEGIN PUBLIC KEY-----</c>) or the path of a PEM file.
    /// ECDSA P-256/P-384/P-521, RSA and Ed25519, as cosign generates them.</summary>
    public List<string> Keys { get; set; } = [];
}
