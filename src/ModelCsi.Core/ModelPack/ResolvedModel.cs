using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>A reference resolved to one model manifest, pinned to its digest and classified.</summary>
public sealed record ResolvedModel
{
    /// <summary>The reference as given, for messages.</summary>
    public required OciReference Reference { get; init; }

    public required string ManifestDigest { get; init; }

    public required string ManifestMediaType { get; init; }

    public required byte[] ManifestBytes { get; init; }

    public required OciManifest Manifest { get; init; }

    public required ModelArtifact Artifact { get; init; }

    /// <summary>The digest of the index the manifest was chosen from, when the reference named an index.</summary>
    public string? IndexDigest { get; init; }

    public long TotalLayerBytes => Manifest.Layers.Sum(layer => layer.Size);
}
