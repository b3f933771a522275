using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.TestSupport;

/// <summary>Builds blobs, descriptors and manifests for registry tests.</summary>
public static class OciTestContent
{
    public const string LayerMediaType = "application/vnd.cncf.model.weight.v1.raw";

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static OciDescriptor Describe(byte[] content, string mediaType = LayerMediaType) =>
        new() { MediaType = mediaType, Digest = Digest.Of(content), Size = content.LongLength };

    public static byte[] Manifest(OciDescriptor config, IReadOnlyList<OciDescriptor> layers, IReadOnlyDictionary<string, string>? annotations = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new OciManifest
        {
            MediaType = OciMediaTypes.ImageManifest,
            ArtifactType = "application/vnd.cncf.model.manifest.v1+json",
            Config = config,
            Layers = layers,
            Annotations = annotations,
        });

    /// <summary>A repository name no other test uses.</summary>
    public static string UniqueRepository(string prefix) => $"{prefix}/{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Client options for tests: loopback, quick retries.</summary>
    public static RegistryClientOptions QuickRetries(int maxRetries = 2) => new()
    {
        MaxRetries = maxRetries,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ResponseTimeout = TimeSpan.FromSeconds(30),
    };
}
