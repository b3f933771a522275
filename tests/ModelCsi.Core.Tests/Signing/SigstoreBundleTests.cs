using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>
/// cosign 3's default format: a sigstore bundle (DSSE envelope over an in-toto statement) attached as a referrer,
/// listed at the referrers tag <c>sha256-&lt;hex&gt;</c> on a registry without the referrers API. Bundles are written
/// by hand and signed with openssl.
/// </summary>
public sealed class SigstoreBundleTests(RegistryFixture fixture, OpenSslKeysFixture keys)
    : IClassFixture<RegistryFixture>, IClassFixture<OpenSslKeysFixture>
{
    private int _seed = 1000;

    private string Host => fixture.Registry.Host;

    [Theory]
    [InlineData("p256")]
    [InlineData("ed25519")]
    public async Task A_bundle_signed_by_a_trusted_key_is_found_through_the_referrers_tag_and_verified(string kind)
    {
        var (repository, digest) = await PushAsync();
        var statement = CosignTestSignatures.Statement(digest);
        var bundle = CosignTestSignatures.Bundle(statement, keys.Sign(kind, CosignTestSignatures.PreAuthenticationEncoding(statement)));
        var referrer = await CosignTestSignatures.AttachBundleAsync(Host, repository, digest, bundle, "https://sigstore.dev/cosign/sign/v1");

        var verdict = await VerifyAsync(repository, digest, kind);

        Assert.Equal(SignatureOutcome.Verified, verdict.Outcome);
        Assert.Contains($"referrer {referrer}", verdict.Reason, StringComparison.Ordinal);
        Assert.Equal(OpenSsl.Fingerprint(keys[kind].PublicKey), verdict.KeyFingerprint);
    }

    [Fact]
    public async Task An_attestation_by_a_trusted_key_is_not_taken_for_a_signature()
    {
        var (repository, digest) = await PushAsync();
        var statement = CosignTestSignatures.Statement(digest, "https://slsa.dev/provenance/v1");
        var bundle = CosignTestSignatures.Bundle(statement, keys.Sign("p256", CosignTestSignatures.PreAuthenticationEncoding(statement)));
        // No predicate annotation, so the bundle is fetched and its statement read.
        await CosignTestSignatures.AttachBundleAsync(Host, repository, digest, bundle, predicateTypeAnnotation: null);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, "p256"));

        Assert.Equal(SignatureOutcome.NoSignature, error.Verdict.Outcome);
        Assert.Contains("attestation", error.Verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_for_another_digest_is_a_digest_mismatch()
    {
        var (repository, digest) = await PushAsync();
        var (_, other) = await PushAsync(repository, "v2");
        var statement = CosignTestSignatures.Statement(other);
        var bundle = CosignTestSignatures.Bundle(statement, keys.Sign("p256", CosignTestSignatures.PreAuthenticationEncoding(statement)));
        await CosignTestSignatures.AttachBundleAsync(Host, repository, digest, bundle, "https://sigstore.dev/cosign/sign/v1");

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, "p256"));

        Assert.Equal(SignatureOutcome.DigestMismatch, error.Verdict.Outcome);
    }

    [Fact]
    public async Task A_keyless_bundle_is_refused_as_not_supported()
    {
        var (repository, digest) = await PushAsync();
        var statement = CosignTestSignatures.Statement(digest);
        var bundle = CosignTestSignatures.Bundle(statement, keys.Sign("other", CosignTestSignatures.PreAuthenticationEncoding(statement)), certificate: true);
        await CosignTestSignatures.AttachBundleAsync(Host, repository, digest, bundle, "https://sigstore.dev/cosign/sign/v1");

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, "p256"));

        Assert.Equal(SignatureOutcome.Keyless, error.Verdict.Outcome);
    }

    private async Task<(string Repository, string Digest)> PushAsync(string? repository = null, string tag = "v1")
    {
        repository ??= OciTestContent.UniqueRepository("bundled");
        return (repository, await CosignTestSignatures.PushArtifactAsync(Host, repository, tag, Interlocked.Increment(ref _seed)));
    }

    private async Task<SignatureVerdict> VerifyAsync(string repository, string digest, string key)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var reference = OciReference.Parse($"{Host}/{repository}:v1");
        var policy = SignaturePolicy.ForKeys("models", SignatureMode.Enforce, [TrustedKey.Load(keys[key].PublicKey)]);
        return await new ModelSignatureVerifier(policy, SignatureMetrics.Unexported()).VerifyAsync(client.Repository(reference), reference, digest);
    }
}
