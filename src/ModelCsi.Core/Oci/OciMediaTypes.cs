namespace ModelCsi.Core.Oci;

/// <summary>Manifest media types of the OCI image spec and Docker's schema 2.</summary>
public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string EmptyJson = "application/vnd.oci.empty.v1+json";

    /// <summary>The Accept header a puller sends: every manifest kind we can read.</summary>
    public static readonly IReadOnlyList<string> AcceptedManifestTypes =
        [ImageManifest, ImageIndex, DockerManifest, DockerManifestList];

    public static bool IsIndex(string? mediaType) =>
        mediaType is ImageIndex or DockerManifestList;
}
