using System.Text;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Attaches a key-based signature to a manifest digest the way <c>cosign sign --key</c> (without transparency log)
/// does: the simple-signing payload as a layer blob, the base64 signature as its annotation, in an OCI manifest
/// at tag <c>sha256-&lt;hex&gt;.sig</c>. Signatures already at that tag are kept.
/// </summary>
public static class CosignSignatureWriter
{
    /// <summary>Signs <paramref name="manifestDigest"/> in the repository and returns the digest of the signature manifest.</summary>
    public static async Task<string> SignAsync(RepositoryClient repository, string manifestDigest, SigningKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(key);
        var reference = repository.Reference;
        var payload = SimpleSigningPayload.Create($"{reference.Registry}/{reference.Repository}", manifestDigest);
        var signature = Convert.ToBase64String(key.Sign(payload));
        var layer = new OciDescriptor
        {
            MediaType = CosignFormat.SimpleSigningMediaType,
            Digest = Digest.Of(payload),
            Size = payload.LongLength,
            Annotations = new Dictionary<string, string> { [CosignFormat.SignatureAnnotation] = signature },
        };

        var tag = CosignFormat.SignatureTag(manifestDigest);
        var layers = new List<OciDescriptor>();
        try
        {
            var existing = await repository.GetManifestAsync(tag, cancellationToken);
            layers.AddRange(existing.Manifest?.Layers ?? []);
        }
        catch (ManifestNotFoundException)
        {
            // First signature of this digest.
        }

        layers.Add(layer);
        await using (var content = new MemoryStream(payload))
        {
            await repository.PushBlobAsync(layer, content, cancellationToken);
        }

        var configBytes = ConfigFor(layers);
        var config = new OciDescriptor { MediaType = "application/vnd.oci.image.config.v1+json", Digest = Digest.Of(configBytes), Size = configBytes.LongLength };
        await using (var content = new MemoryStream(configBytes))
        {
            await repository.PushBlobAsync(config, content, cancellationToken);
        }

        var manifest = new OciManifest { MediaType = OciMediaTypes.ImageManifest, Config = config, Layers = layers };
        return await repository.PushManifestAsync(tag, OciMediaTypes.ImageManifest, JsonSerializer.SerializeToUtf8Bytes(manifest), cancellationToken);
    }

    /// <summary>cosign's config of a signature image: an empty image whose rootfs lists the payload digests.</summary>
    private static byte[] ConfigFor(IReadOnlyList<OciDescriptor> layers)
    {
        var diffIds = string.Join(",", layers.Select(layer => JsonSerializer.Serialize(layer.Digest)));
        return Encoding.UTF8.GetBytes(
            "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],"
            + "\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]},\"config\":{}}");
    }
}
