namespace ModelCsi.Core.Oci;

/// <summary>A manifest or index as fetched, pinned to the sha256 of its exact bytes.</summary>
public sealed record ManifestResponse
{
    public required string Digest { get; init; }

    public required string MediaType { get; init; }

    /// <summary>The exact bytes the registry returned; the digest is computed over these.</summary>
    public required byte[] Content { get; init; }

    /// <summary>Set when the content is an image manifest (OCI or Docker schema 2).</summary>
    public OciManifest? Manifest { get; init; }

    /// <summary>Set when the content is an index (OCI index or Docker manifest list).</summary>
    public OciIndex? Index { get; init; }

    public OciDescriptor Descriptor => new() { MediaType = MediaType, Digest = Digest, Size = Content.LongLength };
}
