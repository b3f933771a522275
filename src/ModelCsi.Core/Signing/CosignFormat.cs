using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>Names cosign gives its signature artifacts (sigstore/cosign <c>pkg/oci/static</c> and <c>pkg/types</c>).</summary>
public static class CosignFormat
{
    /// <summary>Media type of a signature layer: the simple-signing payload that was signed.</summary>
    public const string SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>Layer annotation holding the base64 signature over the layer's bytes.</summary>
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";

    /// <summary>Layer annotations of keyless signatures: the Fulcio certificate and its chain.</summary>
    public const string CertificateAnnotation = "dev.sigstore.cosign/certificate";

    public const string ChainAnnotation = "dev.sigstore.cosign/chain";

    /// <summary>Rekor inclusion bundle; key-based signatures uploaded to the transparency log carry it too.</summary>
    public const string BundleAnnotation = "dev.sigstore.cosign/bundle";

    /// <summary>artifactType of a cosign signature manifest attached as an OCI 1.1 referrer.</summary>
    public const string SignatureArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";

    /// <summary>artifactType (and layer media type) prefix of sigstore bundles, cosign 3's default format.</summary>
    public const string SigstoreBundleArtifactTypePrefix = "application/vnd.dev.sigstore.bundle";

    /// <summary>Annotation cosign puts on a bundle referrer naming its predicate type (signature or which attestation).</summary>
    public const string BundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

    /// <summary>The <c>type</c> cosign writes into the simple-signing payload.</summary>
    public const string PayloadType = "cosign container image signature";

    /// <summary>The tag cosign stores the signatures of <paramref name="manifestDigest"/> under: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string SignatureTag(string manifestDigest) => ReferrersTag(manifestDigest) + ".sig";

    /// <summary>The OCI 1.1 referrers tag schema: an index at <c>sha256-&lt;hex&gt;</c> lists the referrers when the registry has no API.</summary>
    public static string ReferrersTag(string manifestDigest) => "sha256-" + Digest.Hex(manifestDigest);
}
