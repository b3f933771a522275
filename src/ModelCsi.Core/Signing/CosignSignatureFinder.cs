using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Finds the cosign signatures of a manifest digest: the manifests the OCI 1.1 referrers API lists with cosign's
/// signature artifactType (when the registry offers the API), and the manifest at cosign's tag
/// <c>sha256-&lt;hex&gt;.sig</c>. Every count and size is bounded before anything is fetched.
/// </summary>
public static class CosignSignatureFinder
{
    /// <summary>Signature manifests read per digest; more are ignored (a registry cannot make us fetch without end).</summary>
    public const int MaxSignatureManifests = 8;

    /// <summary>Signature layers read in total.</summary>
    public const int MaxSignatureLayers = 32;

    public static async Task<SignatureDiscovery> FindAsync(RepositoryClient repository, string manifestDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var manifests = new List<(string Location, OciManifest Manifest)>();
        var referrers = await repository.GetReferrersAsync(manifestDigest, cancellationToken);
        var bundles = 0;
        foreach (var referrer in referrers?.Manifests ?? [])
        {
            if (referrer.ArtifactType?.StartsWith(CosignFormat.SigstoreBundleArtifactTypePrefix, StringComparison.Ordinal) == true)
            {
                bundles++;
            }
            else if (referrer.ArtifactType == CosignFormat.SignatureArtifactType && manifests.Count < MaxSignatureManifests
                && Digest.IsValidSha256(referrer.Digest))
            {
                var response = await repository.GetManifestAsync(referrer.Digest, cancellationToken);
                if (response.Manifest is { } manifest)
                {
                    manifests.Add(($"referrer {referrer.Digest}", manifest));
                }
            }
        }

        var tag = CosignFormat.SignatureTag(manifestDigest);
        try
        {
            var response = await repository.GetManifestAsync(tag, cancellationToken);
            if (response.Manifest is { } manifest)
            {
                manifests.Add(($"tag {tag}", manifest));
            }
        }
        catch (ManifestNotFoundException)
        {
            // Not signed by the tag scheme.
        }

        var signatures = new List<CosignSignature>();
        var seen = new HashSet<(string, string?)>();
        foreach (var (location, manifest) in manifests)
        {
            for (var i = 0; i < manifest.Layers.Count && signatures.Count < MaxSignatureLayers; i++)
            {
                var layer = manifest.Layers[i];
                if (layer.MediaType != CosignFormat.SimpleSigningMediaType)
                {
                    continue;
                }

                var signatureText = layer.Annotation(CosignFormat.SignatureAnnotation);
                if (!seen.Add((layer.Digest, signatureText)))
                {
                    continue; // The same signature reachable by the tag and as a referrer.
                }

                signatures.Add(await ReadLayerAsync(repository, layer, $"{location}, layer {i + 1}", signatureText, cancellationToken));
            }
        }

        return new SignatureDiscovery { Signatures = signatures, UnsupportedBundles = bundles, ReferrersApi = referrers is not null };
    }

    private static async Task<CosignSignature> ReadLayerAsync(
        RepositoryClient repository, OciDescriptor layer, string location, string? signatureText, CancellationToken cancellationToken)
    {
        var hasCertificate = !string.IsNullOrEmpty(layer.Annotation(CosignFormat.CertificateAnnotation));
        if (layer.Size is < 0 or > SimpleSigningPayload.MaxBytes)
        {
            return new CosignSignature
            {
                Location = location,
                SignatureText = signatureText,
                HasCertificate = hasCertificate,
                Problem = $"its payload is {layer.Size} bytes, more than the {SimpleSigningPayload.MaxBytes} a simple-signing payload may have",
            };
        }

        using var payload = new MemoryStream((int)layer.Size);
        await repository.FetchBlobAsync(layer, payload, cancellationToken);
        return new CosignSignature { Location = location, Payload = payload.ToArray(), SignatureText = signatureText, HasCertificate = hasCertificate };
    }
}
