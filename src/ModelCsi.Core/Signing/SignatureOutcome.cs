namespace ModelCsi.Core.Signing;

/// <summary>The result of checking a model's signatures. The metric label of each is its snake_case name.</summary>
public enum SignatureOutcome
{
    /// <summary>The rule's mode is off: nothing was checked.</summary>
    NotChecked,

    /// <summary>A trusted key signed this exact manifest digest.</summary>
    Verified,

    /// <summary>No cosign signature was found, neither at the <c>.sig</c> tag nor among the referrers (attestations are not signatures).</summary>
    NoSignature,

    /// <summary>A signature is malformed (not base64, truncated, wrong encoding), its payload is not a simple-signing
    /// document, or a trusted key provably signed other bytes.</summary>
    BadSignature,

    /// <summary>A trusted key signed a payload that names another manifest digest.</summary>
    DigestMismatch,

    /// <summary>A trusted key signed this digest for another repository (<c>critical.identity.docker-reference</c>).</summary>
    ReferenceMismatch,

    /// <summary>Well-formed signatures exist but no trusted key verifies them: made with another key, or altered
    /// after signing (for EC and Ed25519 keys the two cannot be told apart).</summary>
    UntrustedKey,

    /// <summary>Only keyless (certificate and transparency log) signatures were found; they are not supported.</summary>
    Keyless,
}
