using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>A packed model artifact ready to push: manifest, config blob and layer blobs.</summary>
public sealed record PackedModel
{
    public required byte[] ManifestBytes { get; init; }

    public required string ManifestDigest { get; init; }

    public required OciManifest Manifest { get; init; }

    public required byte[] ConfigBytes { get; init; }

    public required IReadOnlyList<PackedBlob> Layers { get; init; }

    /// <summary>Source entries not packed (symlinks, sockets, fifos, devices) with the reason.</summary>
    public required IReadOnlyList<string> SkippedEntries { get; init; }
}
