using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.TestSupport;
using Xunit;
using Layer = ModelCsi.TestSupport.CosignTestSignatures.Layer;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>Signatures made with openssl and written in cosign's format by hand, checked against the real registry.</summary>
public sealed class ModelSignatureVerifierTests(RegistryFixture fixture, OpenSslKeysFixture keys)
    : IClassFixture<RegistryFixture>, IClassFixture<OpenSslKeysFixture>
{
    private readonly SignatureMetrics _metrics = SignatureMetrics.Unexported();
    private int _seed = Environment.TickCount;

    private string Host => fixture.Registry.Host;

    [Theory]
    [InlineData("p256")]
    [InlineData("p384")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public async Task A_model_signed_with_a_trusted_key_is_verified_with_that_keys_fingerprint(string kind)
    {
        var (repository, digest) = await PushAsync();
        await SignAsync(repository, digest, kind);

        var verdict = await VerifyAsync(repository, digest, SignatureMode.Enforce, kind);

        Assert.Equal(SignatureOutcome.Verified, verdict.Outcome);
        Assert.Equal(OpenSsl.Fingerprint(keys[kind].PublicKey), verdict.KeyFingerprint);
        Assert.Equal("models", verdict.RuleName);
        Assert.Equal(digest, verdict.ManifestDigest);
        Assert.Equal(1, Count("verified"));
    }

    [Fact]
    public async Task An_unsigned_model_is_refused_under_enforce_naming_reference_rule_and_reason()
    {
        var (repository, digest) = await PushAsync();

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.NoSignature, error.Verdict.Outcome);
        Assert.Contains($"{Host}/{repository}:v1@{digest}", error.Message, StringComparison.Ordinal);
        Assert.Contains("rule 'models'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no signature", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Count("no_signature"));
    }

    [Fact]
    public async Task A_model_signed_by_another_key_is_refused_as_untrusted()
    {
        var (repository, digest) = await PushAsync();
        await SignAsync(repository, digest, "other");

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.UntrustedKey, error.Verdict.Outcome);
        Assert.Null(error.Verdict.KeyFingerprint);
    }

    [Fact]
    public async Task A_trusted_signature_over_another_digest_is_a_digest_mismatch()
    {
        var (repository, digest) = await PushAsync();
        var (_, otherDigest) = await PushAsync(repository, "v2");
        // A genuine signature of v2, copied to the .sig tag of v1.
        var payload = CosignTestSignatures.Payload($"{Host}/{repository}", otherDigest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("p256", payload))]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.DigestMismatch, error.Verdict.Outcome);
        Assert.Contains(otherDigest, error.Verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_signature_for_another_repository_is_a_reference_mismatch()
    {
        var (repository, digest) = await PushAsync();
        var payload = CosignTestSignatures.Payload($"{Host}/somewhere/else", digest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("p256", payload))]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.ReferenceMismatch, error.Verdict.Outcome);
    }

    [Theory]
    [InlineData("p256", SignatureOutcome.UntrustedKey)]
    [InlineData("rsa", SignatureOutcome.BadSignature)]
    public async Task A_payload_altered_after_signing_is_refused(string kind, SignatureOutcome expected)
    {
        var (repository, digest) = await PushAsync();
        var (_, otherDigest) = await PushAsync(repository, "v2");
        // Signed for v2, then the digest inside the payload rewritten to v1's: the signature no longer matches.
        var signed = CosignTestSignatures.Payload($"{Host}/{repository}", otherDigest);
        var tampered = CosignTestSignatures.Payload($"{Host}/{repository}", digest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(tampered, keys.SignBase64(kind, signed))]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, kind));

        Assert.Equal(expected, error.Verdict.Outcome);
        Assert.Contains("altered", error.Verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_that_is_not_a_simple_signing_document_is_a_bad_signature()
    {
        var (repository, digest) = await PushAsync();
        var payload = "{\"critical\":{\"image\":{}}}"u8.ToArray();
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("p256", payload))]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.BadSignature, error.Verdict.Outcome);
        Assert.Contains("docker-manifest-digest", error.Verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_signature_is_a_bad_signature()
    {
        var (repository, digest) = await PushAsync();
        var payload = CosignTestSignatures.Payload($"{Host}/{repository}", digest);
        var signature = keys.Sign("p256", payload);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, Convert.ToBase64String(signature[..^6]))]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.BadSignature, error.Verdict.Outcome);
        Assert.Equal(1, Count("bad_signature"));
    }

    [Fact]
    public async Task A_keyless_signature_is_refused_as_not_supported()
    {
        var (repository, digest) = await PushAsync();
        var payload = CosignTestSignatures.Payload($"{Host}/{repository}", digest);
        var certificate = new Dictionary<string, string> { ["dev.sigstore.cosign/certificate"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" };
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("other", payload), certificate)]);

        var error = await Assert.ThrowsAsync<SignaturePolicyViolationException>(() => VerifyAsync(repository, digest, SignatureMode.Enforce, "p256"));

        Assert.Equal(SignatureOutcome.Keyless, error.Verdict.Outcome);
        Assert.Contains("keyless signatures", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_valid_signature_among_failing_ones_is_enough()
    {
        var (repository, digest) = await PushAsync();
        var payload = CosignTestSignatures.Payload($"{Host}/{repository}", digest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest,
        [
            new Layer(payload, keys.SignBase64("other", payload)),
            new Layer(payload, keys.SignBase64("p256", payload)),
        ]);

        var verdict = await VerifyAsync(repository, digest, SignatureMode.Enforce, "p256");

        Assert.Equal(SignatureOutcome.Verified, verdict.Outcome);
    }

    [Fact]
    public async Task Under_warn_a_failing_model_returns_its_verdict_and_is_counted()
    {
        var (repository, digest) = await PushAsync();

        var verdict = await VerifyAsync(repository, digest, SignatureMode.Warn, "p256");

        Assert.Equal(SignatureOutcome.NoSignature, verdict.Outcome);
        Assert.Equal(SignatureMode.Warn, verdict.Mode);
        Assert.False(verdict.Passed);
        Assert.Equal(1, Count("no_signature"));
    }

    [Fact]
    public async Task A_policy_for_one_repository_does_not_check_another()
    {
        var (repository, digest) = await PushAsync();
        var policy = SignaturePolicy.Create(new SignaturePolicyOptions
        {
            Rules = [new() { Name = "models", Match = $"{Host}/signed-only/**", Mode = SignatureMode.Enforce, Keys = [keys["p256"].PublicKey] }],
        });

        var verdict = await VerifyAsync(policy, Host, repository, digest);

        Assert.Equal(SignatureOutcome.NotChecked, verdict.Outcome);
        Assert.True(verdict.Passed);
    }

    [Fact]
    public async Task A_rule_in_mode_off_makes_no_registry_request()
    {
        var (repository, digest) = await PushAsync();
        await using var proxy = FaultProxy.Start(Host);
        var policy = SignaturePolicy.Create(new SignaturePolicyOptions { Rules = [new() { Name = "off", Match = "**/**", Mode = SignatureMode.Off }] });

        var verdict = await VerifyAsync(policy, proxy.Host, repository, digest);

        Assert.Equal(SignatureOutcome.NotChecked, verdict.Outcome);
        Assert.Empty(proxy.Requests);
        Assert.Equal(0, Count("verified") + Count("no_signature"));
    }

    [Fact]
    public async Task A_registry_without_the_referrers_api_is_asked_once_and_the_tag_scheme_used()
    {
        var (repository, digest) = await PushAsync();
        await using var proxy = FaultProxy.Start(Host);
        // The payload names the repository as the verifier sees it: through the proxy.
        var payload = CosignTestSignatures.Payload($"{proxy.Host}/{repository}", digest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("p256", payload))]);
        var policy = SignaturePolicy.ForKeys("models", SignatureMode.Enforce, [TrustedKey.Load(keys["p256"].PublicKey)]);

        var verdict = await VerifyAsync(policy, proxy.Host, repository, digest);

        Assert.Equal(SignatureOutcome.Verified, verdict.Outcome);
        Assert.Equal(1, proxy.CountRequests("GET", $"/v2/{repository}/referrers/{digest}"));
        Assert.Equal(1, proxy.CountRequests("GET", $"/manifests/sha256-{Digest.Hex(digest)}.sig"));
    }

    private async Task<(string Repository, string Digest)> PushAsync(string? repository = null, string tag = "v1")
    {
        repository ??= OciTestContent.UniqueRepository("signed");
        var digest = await CosignTestSignatures.PushArtifactAsync(Host, repository, tag, Interlocked.Increment(ref _seed));
        return (repository, digest);
    }

    private async Task SignAsync(string repository, string digest, string key)
    {
        var payload = CosignTestSignatures.Payload($"{Host}/{repository}", digest);
        await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64(key, payload))]);
    }

    private Task<SignatureVerdict> VerifyAsync(string repository, string digest, SignatureMode mode, params string[] trusted)
    {
        var policy = SignaturePolicy.Create(new SignaturePolicyOptions
        {
            Rules =
            [
                new() { Name = "models", Match = $"{Host}/signed/*", Mode = mode, Keys = [.. trusted.Select(k => keys[k].PublicKey)] },
            ],
        });
        return VerifyAsync(policy, Host, repository, digest);
    }

    private async Task<SignatureVerdict> VerifyAsync(SignaturePolicy policy, string host, string repository, string digest)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var reference = OciReference.Parse($"{host}/{repository}:v1");
        var verifier = new ModelSignatureVerifier(policy, _metrics);
        return await verifier.VerifyAsync(client.Repository(reference), reference, digest);
    }

    private double Count(string result) => _metrics.Verifications.WithLabels(result).Value;
}
