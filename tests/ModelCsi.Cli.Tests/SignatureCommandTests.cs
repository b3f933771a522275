using System.Text.Json;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

/// <summary><c>modelcsi sign</c>, <c>verify</c> and <c>pull --verify-key</c> against the real registry, with openssl-made keys.</summary>
public sealed class SignatureCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-sign");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("pkcs8")]
    [InlineData("sec1")]
    public async Task A_signature_written_by_modelcsi_sign_verifies_with_modelcsi_and_with_openssl(string keyFormat)
    {
        var (reference, digest) = await PushAsync();
        var (privateKey, publicKey) = OpenSsl.GenerateKey(_temp.Path, "p256");
        if (keyFormat == "sec1")
        {
            privateKey = _temp.Combine("sec1.pem");
            OpenSsl.Run($"ecparam -name prime256v1 -genkey -noout -out {privateKey}");
            publicKey = _temp.Combine("sec1.pub");
            OpenSsl.Run($"ec -in {privateKey} -pubout -out {publicKey}");
        }

        var sign = await CliRun.RunAsync("sign", reference, "--key", privateKey);
        var verify = await CliRun.RunAsync("verify", reference, "--key", publicKey);

        Assert.True(sign.ExitCode == 0, sign.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"verified {reference}@{digest}", verify.Out, StringComparison.Ordinal);
        Assert.Contains(OpenSsl.Fingerprint(publicKey), verify.Out, StringComparison.Ordinal);

        // Independently of our verifier: read the artifact as cosign would and check it with openssl.
        var (payload, signature) = await ReadSignatureLayerAsync(reference, digest);
        var critical = JsonDocument.Parse(payload).RootElement.GetProperty("critical");
        Assert.Equal(digest, critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString());
        Assert.Equal(reference[..reference.LastIndexOf(':')], critical.GetProperty("identity").GetProperty("docker-reference").GetString());
        Assert.Equal("cosign container image signature", critical.GetProperty("type").GetString());
        Assert.True(OpenSsl.Verify(publicKey, payload, signature));
    }

    [Fact]
    public async Task Verify_exits_with_the_code_of_each_refusal_reason()
    {
        var (reference, _) = await PushAsync();
        var (_, trusted) = OpenSsl.GenerateKey(_temp.Path, "p256", "trusted");
        var (otherPrivate, _) = OpenSsl.GenerateKey(_temp.Path, "p256", "other");

        var unsigned = await CliRun.RunAsync("verify", reference, "--key", trusted);
        Assert.Equal(0, (await CliRun.RunAsync("sign", reference, "--key", otherPrivate)).ExitCode);
        var byOtherKey = await CliRun.RunAsync("verify", reference, "--key", trusted);

        Assert.True(unsigned.ExitCode == 10, unsigned.ToString());
        Assert.Contains("no signature", unsigned.Error, StringComparison.Ordinal);
        Assert.True(byOtherKey.ExitCode == 14, byOtherKey.ToString());
        Assert.Contains("untrusted key", byOtherKey.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_with_a_second_key_keeps_the_first_signature()
    {
        var (reference, _) = await PushAsync();
        var first = OpenSsl.GenerateKey(_temp.Path, "p256", "first");
        var second = OpenSsl.GenerateKey(_temp.Path, "rsa", "second");

        Assert.Equal(0, (await CliRun.RunAsync("sign", reference, "--key", first.PrivateKey)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("sign", reference, "--key", second.PrivateKey)).ExitCode);

        Assert.Equal(0, (await CliRun.RunAsync("verify", reference, "--key", first.PublicKey)).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync("verify", reference, "--key", second.PublicKey)).ExitCode);
    }

    [Fact]
    public async Task Signing_with_an_encrypted_key_is_refused_as_unsupported()
    {
        var (reference, _) = await PushAsync();
        var encrypted = _temp.Combine("encrypted.pem");
        OpenSsl.Run($"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:secret -out {encrypted}");

        var sign = await CliRun.RunAsync("sign", reference, "--key", encrypted);

        Assert.True(sign.ExitCode == 2, sign.ToString());
        Assert.Contains("not supported", sign.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_with_verify_key_pulls_a_signed_model_and_refuses_an_unsigned_one_before_writing()
    {
        var (signed, digest) = await PushAsync();
        var (unsigned, _) = await PushAsync();
        var (privateKey, publicKey) = OpenSsl.GenerateKey(_temp.Path, "p256");
        Assert.Equal(0, (await CliRun.RunAsync("sign", signed, "--key", privateKey)).ExitCode);

        var pulled = await CliRun.RunAsync("pull", signed, _temp.Combine("signed"), "--verify-key", publicKey, "-q");
        var refused = await CliRun.RunAsync("pull", unsigned, _temp.Combine("unsigned"), "--verify-key", publicKey, "-q");

        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(digest, pulled.PrintedDigest());
        DirectoryTree.AssertSame(RepositoryRoot.TinyModel, _temp.Combine("signed"));
        // Outside 'verify' a refusal is a PermissionDenied like any other: exit 4, the reason in the message.
        Assert.True(refused.ExitCode == ExitCodes.Auth, refused.ToString());
        Assert.Contains("no signature", refused.Error, StringComparison.Ordinal);
        Assert.Contains("rule '--verify-key'", refused.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("unsigned")));
    }

    private async Task<(string Reference, string Digest)> PushAsync()
    {
        var reference = $"{fixture.Registry.Host}/{OciTestContent.UniqueRepository("signed")}:v1";
        var push = await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q");
        Assert.True(push.ExitCode == 0, push.ToString());
        return (reference, push.PrintedDigest());
    }

    private static async Task<(byte[] Payload, byte[] Signature)> ReadSignatureLayerAsync(string reference, string digest)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repository = client.Repository(OciReference.Parse(reference));
        var manifest = (await repository.GetManifestAsync("sha256-" + Digest.Hex(digest) + ".sig")).Manifest!;
        var layer = Assert.Single(manifest.Layers);
        Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layer.MediaType);
        using var payload = new MemoryStream();
        await repository.FetchBlobAsync(layer, payload);
        return (payload.ToArray(), Convert.FromBase64String(layer.Annotation("dev.cosignproject.cosign/signature")!));
    }
}
