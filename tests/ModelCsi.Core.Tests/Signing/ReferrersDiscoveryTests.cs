using System.Text.Json;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.TestSupport;
using Xunit;
using Layer = ModelCsi.TestSupport.CosignTestSignatures.Layer;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>Signatures attached as OCI 1.1 referrers, served by a front over the real registry.</summary>
public sealed class ReferrersDiscoveryTests(RegistryFixture fixture, OpenSslKeysFixture keys)
    : IClassFixture<RegistryFixture>, IClassFixture<OpenSslKeysFixture>
{
    private string Host => fixture.Registry.Host;

    [Fact]
    public async Task A_signature_listed_only_by_the_referrers_api_is_found_and_verified()
    {
        var repository = OciTestContent.UniqueRepository("referred");
        var digest = await CosignTestSignatures.PushArtifactAsync(Host, repository, "v1", seed: 7);
        var front = await FrontWithSignatureAsync(repository, digest, CosignFormat.SignatureArtifactType, frontHost => CosignTestSignatures.Payload($"{frontHost}/{repository}", digest));
        await using (front)
        {
            var verdict = await VerifyAsync(front.Host, repository, digest);

            Assert.Equal(SignatureOutcome.Verified, verdict.Outcome);
            Assert.Contains("referrer sha256:", verdict.Reason, StringComparison.Ordinal);
            Assert.Equal(1, front.ReferrersRequests);
        }
    }

    /// <summary>Pushes a signature manifest under a side tag and starts a front whose referrers API lists it.</summary>
    private async Task<ReferrersFront> FrontWithSignatureAsync(string repository, string digest, string artifactType, Func<string, byte[]> payloadFor)
    {
        // The payload must name the host the verifier sees; the front's port is known only once it runs, so pick it first.
        var port = FreePort.Pick();
        var frontHost = $"127.0.0.1:{port}";
        var payload = payloadFor(frontHost);
        var signatureDigest = await CosignTestSignatures.AttachAsync(Host, repository, digest, [new Layer(payload, keys.SignBase64("p256", payload))], tag: "side-sig");
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var size = (await client.Repository(OciReference.Parse($"{Host}/{repository}:side-sig")).GetManifestAsync(signatureDigest)).Content.Length;
        var index = JsonSerializer.Serialize(new OciIndex
        {
            MediaType = OciMediaTypes.ImageIndex,
            Manifests = [new OciDescriptor { MediaType = OciMediaTypes.ImageManifest, Digest = signatureDigest, Size = size, ArtifactType = artifactType }],
        });
        return new ReferrersFront(Host, repository, digest, index, port);
    }

    private async Task<SignatureVerdict> VerifyAsync(string host, string repository, string digest)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var reference = OciReference.Parse($"{host}/{repository}:v1");
        var verifier = new ModelSignatureVerifier(SignaturePolicy.ForKeys("models", SignatureMode.Enforce, [TrustedKey.Load(keys["p256"].PublicKey)]), SignatureMetrics.Unexported());
        return await verifier.VerifyAsync(client.Repository(reference), reference, digest);
    }
}
