using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Finds the cosign signatures of a manifest digest: referrers (from the OCI 1.1 referrers API, or the index at the
/// referrers tag <c>sha256-&lt;hex&gt;</c> when the registry has no API) that are cosign signature manifests or
/// sigstore bundles of predicate <c>https://sigstore.dev/cosign/sign/v1</c>, and the manifest at cosign's tag
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
        var api = referrers is not null;
        referrers ??= await ReferrersByTagAsync(repository, manifestDigest, cancellationToken);
        foreach (var referrer in referrers?.Manifests ?? [])
        {
            if (manifests.Count >= MaxSignatureManifests || !Digest.IsValidSha256(referrer.Digest) || !IsSignature(referrer))
            {
                continue;
            }

            // A referrer listed but deleted since is skipped, not fatal.
            var response = await TryGetManifestAsync(repository, referrer.Digest, cancellationToken);
            if (response?.Manifest is { } manifest)
            {
                manifests.Add(($"referrer {referrer.Digest}", manifest));
            }
        }

        var tag = CosignFormat.SignatureTag(manifestDigest);
        var tagged = await TryGetManifestAsync(repository, tag, cancellationToken);
        if (tagged?.Manifest is { } signatureManifest)
        {
            manifests.Add(($"tag {tag}", signatureManifest));
        }

        var signatures = new List<CosignSignature>();
        var seen = new HashSet<(string, string?)>();
        foreach (var (location, manifest) in manifests)
        {
            for (var i = 0; i < manifest.Layers.Count && signatures.Count < MaxSignatureLayers; i++)
            {
                var layer = manifest.Layers[i];
                var isBundle = layer.MediaType.StartsWith(CosignFormat.SigstoreBundleArtifactTypePrefix, StringComparison.Ordinal);
                if (layer.MediaType != CosignFormat.SimpleSigningMediaType && !isBundle)
                {
                    continue;
                }

                var signatureText = layer.Annotation(CosignFormat.SignatureAnnotation);
                if (!seen.Add((layer.Digest, signatureText)))
                {
                    continue; // The same signature reachable by the tag and as a referrer.
                }

                signatures.Add(await ReadLayerAsync(repository, layer, $"{location}, layer {i + 1}", signatureText, isBundle, cancellationToken));
            }
        }

        return new SignatureDiscovery { Signatures = signatures, ReferrersApi = api };
    }

    /// <summary>Cosign signature manifests, and sigstore bundles unless their annotation names another predicate (an attestation).</summary>
    private static bool IsSignature(OciDescriptor referrer)
    {
        if (referrer.ArtifactType == CosignFormat.SignatureArtifactType)
        {
            return true;
        }

        return referrer.ArtifactType?.StartsWith(CosignFormat.SigstoreBundleArtifactTypePrefix, StringComparison.Ordinal) == true
            && referrer.Annotation(CosignFormat.BundlePredicateTypeAnnotation) is null or SigstoreBundle.SignPredicateType;
    }

    private static async Task<OciIndex?> ReferrersByTagAsync(RepositoryClient repository, string manifestDigest, CancellationToken cancellationToken) =>
        (await TryGetManifestAsync(repository, CosignFormat.ReferrersTag(manifestDigest), cancellationToken))?.Index;

    private static async Task<ManifestResponse?> TryGetManifestAsync(RepositoryClient repository, string tagOrDigest, CancellationToken cancellationToken)
    {
        try
        {
            return await repository.GetManifestAsync(tagOrDigest, cancellationToken);
        }
        catch (ManifestNotFoundException)
        {
            return null;
        }
    }

    private static async Task<CosignSignature> ReadLayerAsync(
        RepositoryClient repository, OciDescriptor layer, string location, string? signatureText, bool isBundle, CancellationToken cancellationToken)
    {
        var hasCertificate = !string.IsNullOrEmpty(layer.Annotation(CosignFormat.CertificateAnnotation));
        var limit = isBundle ? SigstoreBundle.MaxBytes : SimpleSigningPayload.MaxBytes;
        if (layer.Size < 0 || layer.Size > limit)
        {
            return new CosignSignature
            {
                Location = location,
                IsBundle = isBundle,
                SignatureText = signatureText,
                HasCertificate = hasCertificate,
                Problem = $"its {(isBundle ? "bundle" : "payload")} is {layer.Size} bytes, more than the {limit} allowed",
            };
        }

        using var payload = new MemoryStream((int)layer.Size);
        try
        {
            await repository.FetchBlobAsync(layer, payload, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return new CosignSignature { Location = location, IsBundle = isBundle, HasCertificate = hasCertificate, Problem = $"its blob {layer.Digest} is missing from the registry" };
        }

        return new CosignSignature
        {
            Location = location,
            IsBundle = isBundle,
            Payload = payload.ToArray(),
            SignatureText = signatureText,
            HasCertificate = hasCertificate,
        };
    }
}
