using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Applies the signature policy to one resolved manifest digest. Call it after the digest is known and before
/// any layer is fetched or mounted.
/// </summary>
public interface IModelSignatureVerifier
{
    /// <summary>
    /// Mode off: returns a <see cref="SignatureOutcome.NotChecked"/> verdict without any registry request.
    /// Warn: returns the verdict, failing or not. Enforce: returns a verified verdict or throws.
    /// </summary>
    /// <exception cref="SignaturePolicyViolationException">An enforce rule's check failed.</exception>
    /// <exception cref="RegistryException">The registry could not be asked (auth, unavailable); never a verdict.</exception>
    Task<SignatureVerdict> VerifyAsync(RepositoryClient repository, OciReference reference, string manifestDigest, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when using a digest of <paramref name="reference"/> needs no signature request: no rule checks it, or the
    /// rule that applies now is <paramref name="verifiedRule"/> and still trusts <paramref name="verifiedKeyFingerprint"/>
    /// (a verification remembered earlier, perhaps under another policy).
    /// </summary>
    bool IsSettled(OciReference reference, string? verifiedRule, string? verifiedKeyFingerprint);
}
