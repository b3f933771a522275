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

    /// <summary>artifactType prefix of sigstore bundles (<c>cosign sign --new-bundle-format</c>); not supported yet.</summary>
    public const string SigstoreBundleArtifactTypePrefix = "application/vnd.dev.sigstore.bundle";

    /// <summary>The <c>type</c> cosign writes into the simple-signing payload.</summary>
    public const string PayloadType = "cosign container image signature";

    /// <summary>The tag cosign stores the signatures of <paramref name="manifestDigest"/> under: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string SignatureTag(string manifestDigest) => "sha256-" + Digest.Hex(manifestDigest) + ".sig";
}
