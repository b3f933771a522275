using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>Resolves a reference to one model manifest: follows an index to its model entry, then classifies.</summary>
public static class ModelResolver
{
    /// <exception cref="IndexSelectionException">An index with no single model manifest.</exception>
    /// <exception cref="UnsupportedArtifactException">The manifest is not a model artifact.</exception>
    public static async Task<ResolvedModel> ResolveAsync(RepositoryClient repository, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var reference = repository.Reference;
        var response = await repository.GetManifestAsync(reference.TagOrDigest, cancellationToken);
        string? indexDigest = null;
        if (response.Index is { } index)
        {
            indexDigest = response.Digest;
            var entry = SelectEntry(reference, response.Digest, index);
            response = await repository.GetManifestAsync(entry.Digest, cancellationToken);
            if (response.Index is not null)
            {
                throw new IndexSelectionException(reference.ToString(), indexDigest, $"its entry {entry.Digest} is itself an index; nested indexes are not followed");
            }
        }

        var manifest = response.Manifest
            ?? throw new RegistryException($"{reference}: the registry returned {response.MediaType}, neither a manifest nor an index");
        return new ResolvedModel
        {
            Reference = reference,
            ManifestDigest = response.Digest,
            ManifestMediaType = response.MediaType,
            ManifestBytes = response.Content,
            Manifest = manifest,
            Artifact = ArtifactClassifier.Classify(manifest),
            IndexDigest = indexDigest,
        };
    }

    private static OciDescriptor SelectEntry(OciReference reference, string indexDigest, OciIndex index)
    {
        var models = index.Manifests.Where(entry => IsModelType(entry.ArtifactType)).ToList();
        if (models.Count == 1)
        {
            return models[0];
        }

        if (models.Count > 1)
        {
            throw new IndexSelectionException(reference.ToString(), indexDigest,
                $"it lists {models.Count} model manifests ({string.Join(", ", models.Select(entry => entry.Digest))}); pull one of them by digest");
        }

        if (index.Manifests.Count == 1)
        {
            return index.Manifests[0];
        }

        var found = index.Manifests.Count == 0
            ? "it lists no manifests"
            : $"none of its {index.Manifests.Count} entries has a model artifactType (found: "
                + string.Join(", ", index.Manifests.Select(entry => entry.ArtifactType ?? (entry.Platform is { } platform ? $"{entry.MediaType} for {platform.Os}/{platform.Architecture}" : entry.MediaType)).Distinct()) + ")";
        throw new IndexSelectionException(reference.ToString(), indexDigest, found);
    }

    private static bool IsModelType(string? artifactType) => artifactType is
        ModelPackMediaTypes.CncfManifest or ModelPackMediaTypes.CnaiManifest
        or ModelPackMediaTypes.KitOpsConfig or ModelPackMediaTypes.KitOpsManifest;
}
