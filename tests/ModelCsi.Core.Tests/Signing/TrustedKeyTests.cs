using System.Text;
using ModelCsi.Core.Signing;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Signing;

public sealed class TrustedKeyTests(OpenSslKeysFixture keys) : IClassFixture<OpenSslKeysFixture>
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"critical\":{}}");

    [Theory]
    [InlineData("p256", "ECDSA P-256")]
    [InlineData("p384", "ECDSA P-384")]
    [InlineData("rsa", "RSA 2048")]
    [InlineData("ed25519", "Ed25519")]
    public void A_signature_made_by_openssl_verifies_under_its_public_key(string kind, string algorithm)
    {
        var key = TrustedKey.Load(keys[kind].PublicKey);

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(KeyCheck.Valid, key.Check(Payload, keys.Sign(kind, Payload)));
        Assert.Equal(OpenSsl.Fingerprint(keys[kind].PublicKey), key.Fingerprint);
    }

    [Theory]
    [InlineData("p256")]
    [InlineData("ed25519")]
    public void A_signature_by_another_key_or_over_other_bytes_is_invalid(string kind)
    {
        var key = TrustedKey.Load(keys[kind].PublicKey);
        var other = kind == "p256" ? keys.Sign("other", Payload) : OpenSsl.Sign(keys["ed25519"].PrivateKey, [.. Payload, 1], ed25519: true);

        Assert.Equal(KeyCheck.Invalid, key.Check(Payload, other));
    }

    [Fact]
    public void An_rsa_key_tells_that_it_signed_other_bytes()
    {
        var key = TrustedKey.Load(keys["rsa"].PublicKey);
        var signature = keys.Sign("rsa", Payload);

        Assert.Equal(KeyCheck.SignedOtherBytes, key.Check([.. Payload, (byte)' '], signature));
    }

    [Theory]
    [InlineData("p256")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public void A_truncated_signature_is_malformed(string kind)
    {
        var key = TrustedKey.Load(keys[kind].PublicKey);
        var signature = keys.Sign(kind, Payload);

        Assert.Equal(KeyCheck.Malformed, key.Check(Payload, signature[..^4]));
    }

    [Fact]
    public void An_inline_pem_key_is_accepted_as_well_as_a_file()
    {
        var inline = TrustedKey.Load(File.ReadAllText(keys["p256"].PublicKey));

        Assert.Equal("inline key", inline.Source);
        Assert.Equal(TrustedKey.Load(keys["p256"].PublicKey).Fingerprint, inline.Fingerprint);
    }

    [Fact]
    public void A_private_key_given_as_trusted_key_is_refused_with_a_hint()
    {
        var error = Assert.Throws<SignatureKeyException>(() => TrustedKey.Load(keys["p256"].PrivateKey));

        Assert.Contains("private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_key_file_is_named_in_the_error()
    {
        var error = Assert.Throws<SignatureKeyException>(() => TrustedKey.Load("/nonexistent/cosign.pub"));

        Assert.Contains("/nonexistent/cosign.pub", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("p256")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public void Our_signing_key_signs_what_openssl_generated_keys_verify(string kind)
    {
        using var signer = SigningKey.Load(keys[kind].PrivateKey);
        var signature = signer.Sign(Payload);

        Assert.Equal(KeyCheck.Valid, TrustedKey.Load(keys[kind].PublicKey).Check(Payload, signature));
        Assert.Equal(OpenSsl.Fingerprint(keys[kind].PublicKey), signer.Fingerprint);
        if (kind != "ed25519")
        {
            Assert.True(OpenSsl.Verify(keys[kind].PublicKey, Payload, signature));
        }
    }

    [Fact]
    public void An_encrypted_signing_key_is_refused_as_unsupported()
    {
        const string pem = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";

        var error = Assert.Throws<SignatureKeyException>(() => SigningKey.FromPem(pem, "cosign.key"));

        Assert.Contains("not supported", error.Message, StringComparison.Ordinal);
    }
}
