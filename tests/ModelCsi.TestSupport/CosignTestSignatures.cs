using System.Text;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.TestSupport;

/// <summary>
/// Writes cosign signature artifacts by hand, following cosign's format rather than our writer: the
/// simple-signing payload as a layer, its signature in the <c>dev.cosignproject.cosign/signature</c> annotation,
/// the manifest at <c>sha256-&lt;hex&gt;.sig</c>.
/// </summary>
public static class CosignTestSignatures
{
    public const string SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>The payload exactly as cosign writes it.</summary>
    public static byte[] Payload(string dockerReference, string manifestDigest) => Encoding.UTF8.GetBytes(
        "{\"critical\":{\"identity\":{\"docker-reference\":\"" + dockerReference + "\"},\"image\":{\"docker-manifest-digest\":\""
        + manifestDigest + "\"},\"type\":\"cosign container image signature\"},\"optional\":null}");

    /// <summary>One signature layer: the payload bytes and the annotations cosign puts on it.</summary>
    public sealed record Layer(byte[] Payload, string Signature, IReadOnlyDictionary<string, string>? ExtraAnnotations = null);

    /// <summary>Pushes the layers' payloads and a signature manifest under <paramref name="tag"/> (cosign's tag by default).</summary>
    public static async Task<string> AttachAsync(string registryHost, string repository, string signedDigest, IReadOnlyList<Layer> layers, string? tag = null)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:x"));
        var descriptors = new List<OciDescriptor>();
        foreach (var layer in layers)
        {
            var annotations = new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = layer.Signature };
            foreach (var (key, value) in layer.ExtraAnnotations ?? new Dictionary<string, string>())
            {
                annotations[key] = value;
            }

            var descriptor = OciTestContent.Describe(layer.Payload, SimpleSigningMediaType) with { Annotations = annotations };
            await using var content = new MemoryStream(layer.Payload);
            await repo.PushBlobAsync(descriptor, content);
            descriptors.Add(descriptor);
        }

        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
            + string.Join(",", descriptors.Select(d => "\"" + d.Digest + "\"")) + "]},\"config\":{}}");
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.oci.image.config.v1+json");
        await using (var content = new MemoryStream(config))
        {
            await repo.PushBlobAsync(configDescriptor, content);
        }

        var manifest = JsonSerializer.SerializeToUtf8Bytes(new OciManifest
        {
            MediaType = OciMediaTypes.ImageManifest,
            Config = configDescriptor,
            Layers = descriptors,
        });
        return await repo.PushManifestAsync(tag ?? "sha256-" + Digest.Hex(signedDigest) + ".sig", OciMediaTypes.ImageManifest, manifest);
    }

    public const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The in-toto statement cosign 3 signs for an image (predicate type <c>https://sigstore.dev/cosign/sign/v1</c> unless given).</summary>
    public static byte[] Statement(string manifestDigest, string predicateType = "https://sigstore.dev/cosign/sign/v1") => Encoding.UTF8.GetBytes(
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"image\",\"digest\":{\"sha256\":\"" + Digest.Hex(manifestDigest)
        + "\"}}],\"predicateType\":\"" + predicateType + "\",\"predicate\":{}}");

    /// <summary>DSSE pre-authentication encoding of an in-toto payload: the bytes a bundle's signature covers.</summary>
    public static byte[] PreAuthenticationEncoding(byte[] payload) =>
        [.. Encoding.UTF8.GetBytes($"DSSEv1 28 application/vnd.in-toto+json {payload.Length} "), .. payload];

    /// <summary>A sigstore bundle holding a DSSE envelope; a public-key hint, or a certificate when <paramref name="certificate"/>.</summary>
    public static byte[] Bundle(byte[] statement, byte[] signature, bool certificate = false) => Encoding.UTF8.GetBytes(
        "{\"mediaType\":\"" + BundleMediaType + "\",\"verificationMaterial\":"
        + (certificate ? "{\"certificate\":{\"rawBytes\":\"MIIB\"}}" : "{\"publicKey\":{\"hint\":\"test\"}}")
        + ",\"dsseEnvelope\":{\"payload\":\"" + Convert.ToBase64String(statement) + "\",\"payloadType\":\"application/vnd.in-toto+json\","
        + "\"signatures\":[{\"sig\":\"" + Convert.ToBase64String(signature) + "\",\"keyid\":\"\"}]}}");

    /// <summary>
    /// Attaches a bundle as cosign 3 does on a registry without the referrers API: a manifest with the bundle as its
    /// layer and the image as its subject, listed in the index at the referrers tag <c>sha256-&lt;hex&gt;</c>.
    /// </summary>
    public static async Task<string> AttachBundleAsync(string registryHost, string repository, string subjectDigest, byte[] bundle, string? predicateTypeAnnotation)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:x"));
        var subject = await repo.GetManifestAsync(subjectDigest);
        var layer = OciTestContent.Describe(bundle, BundleMediaType);
        var empty = "{}"u8.ToArray();
        var config = OciTestContent.Describe(empty, OciMediaTypes.EmptyJson);
        await using (var content = new MemoryStream(bundle))
        {
            await repo.PushBlobAsync(layer, content);
        }

        await using (var content = new MemoryStream(empty))
        {
            await repo.PushBlobAsync(config, content);
        }

        var annotations = new Dictionary<string, string> { ["dev.sigstore.bundle.content"] = "dsse-envelope" };
        if (predicateTypeAnnotation is not null)
        {
            annotations["dev.sigstore.bundle.predicateType"] = predicateTypeAnnotation;
        }

        var manifest = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.ImageManifest,
            ["artifactType"] = BundleMediaType,
            ["config"] = config,
            ["layers"] = new[] { layer },
            ["subject"] = subject.Descriptor,
            ["annotations"] = annotations,
        });
        var manifestDigest = await repo.PushManifestAsync(Digest.Of(manifest), OciMediaTypes.ImageManifest, manifest);
        var index = JsonSerializer.SerializeToUtf8Bytes(new OciIndex
        {
            MediaType = OciMediaTypes.ImageIndex,
            Manifests = [new OciDescriptor
            {
                MediaType = OciMediaTypes.ImageManifest,
                Digest = manifestDigest,
                Size = manifest.LongLength,
                ArtifactType = BundleMediaType,
                Annotations = annotations,
            }],
        });
        await repo.PushManifestAsync("sha256-" + Digest.Hex(subjectDigest), OciMediaTypes.ImageIndex, index);
        return manifestDigest;
    }

    /// <summary>Pushes a small artifact (one random layer) and returns its manifest digest.</summary>
    public static async Task<string> PushArtifactAsync(string registryHost, string repository, string tag, int seed)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:{tag}"));
        var layer = OciTestContent.RandomBytes(1024, seed);
        var config = Encoding.UTF8.GetBytes("{}");
        var layerDescriptor = OciTestContent.Describe(layer);
        var configDescriptor = OciTestContent.Describe(config, "application/vnd.cncf.model.config.v1+json");
        await using (var content = new MemoryStream(layer))
        {
            await repo.PushBlobAsync(layerDescriptor, content);
        }

        await using (var content = new MemoryStream(config))
        {
            await repo.PushBlobAsync(configDescriptor, content);
        }

        return await repo.PushManifestAsync(tag, OciMediaTypes.ImageManifest, OciTestContent.Manifest(configDescriptor, [layerDescriptor]));
    }
}
