using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>Decides whether a manifest is a model artifact we can mount, and which family it uses.</summary>
public static class ArtifactClassifier
{
    /// <summary>
    /// Classifies by artifactType first, then by the config media type (older packers set no artifactType),
    /// and checks every layer's media type.
    /// </summary>
    /// <exception cref="UnsupportedArtifactException">Neither a ModelPack artifact nor a KitOps ModelKit.</exception>
    /// <exception cref="UnsupportedLayerException">A layer's media type is not a model layer type.</exception>
    /// <exception cref="ModelPackFormatException">The config, the layer list or a layer is null.</exception>
    public static ModelArtifact Classify(OciManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // The JSON reader enforces that these are present, not that they are non-null.
        if (manifest.Config is null || manifest.Layers is null || manifest.Layers.Any(layer => layer is null))
        {
            throw new ModelPackFormatException("the manifest's config, layers or a layer is null");
        }

        var family = FamilyOf(manifest.ArtifactType) ?? FamilyOf(manifest.Config.MediaType)
            ?? throw new UnsupportedArtifactException(manifest.ArtifactType, manifest.Config.MediaType);

        var layers = new List<ModelLayer>(manifest.Layers.Count);
        foreach (var layer in manifest.Layers)
        {
            // Mixed families are accepted: modctl versions differ in cncf/cnai and a layer's bytes mean the same.
            if (!LayerMediaType.TryParse(layer.MediaType, out var mediaType))
            {
                throw new UnsupportedLayerException(layer.Digest, layer.MediaType);
            }

            layers.Add(new ModelLayer(layer, mediaType));
        }

        return new ModelArtifact(family, layers);
    }

    private static ArtifactFamily? FamilyOf(string? mediaType) => mediaType switch
    {
        ModelPackMediaTypes.CncfManifest or ModelPackMediaTypes.CncfConfig => ArtifactFamily.Cncf,
        ModelPackMediaTypes.CnaiManifest or ModelPackMediaTypes.CnaiConfig => ArtifactFamily.Cnai,
        ModelPackMediaTypes.KitOpsConfig or ModelPackMediaTypes.KitOpsManifest => ArtifactFamily.KitOps,
        _ => null,
    };
}
