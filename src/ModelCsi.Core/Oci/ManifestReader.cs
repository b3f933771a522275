using System.Text.Json;
using System.Text.Json.Serialization;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Turns manifest bytes into an <see cref="OciManifest"/> or <see cref="OciIndex"/> and checks every
/// descriptor in them before anyone acts on it: sizes must be non-negative and within bounds (a manifest
/// entry of an index at most a manifest's size, the config at most a config's, a layer at most a blob's).
/// Anything malformed is a <see cref="ModelPackFormatException"/>: the artifact is corrupt, not the request.
/// </summary>
internal static class ManifestReader
{
    public static (string MediaType, OciManifest? Manifest, OciIndex? Index) Read(byte[] content, string? contentType, RegistryClientOptions options, string what)
    {
        ManifestProbe? probe;
        try
        {
            probe = JsonSerializer.Deserialize<ManifestProbe>(content);
        }
        catch (JsonException e)
        {
            throw new ModelPackFormatException($"{what} is not valid JSON: {e.Message}", e);
        }

        var mediaType = contentType;
        if (mediaType is null or "application/json" or "application/octet-stream" or "text/plain")
        {
            mediaType = probe?.MediaType ?? (probe?.Manifests is not null ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest);
        }

        mediaType = ResponseExcerpt.Sanitise(mediaType, 255);
        try
        {
            if (OciMediaTypes.IsIndex(mediaType))
            {
                var index = JsonSerializer.Deserialize<OciIndex>(content) ?? throw new ModelPackFormatException($"{what} is JSON null");
                foreach (var entry in index.Manifests ?? [])
                {
                    Check(entry, options.MaxManifestBytes, "manifest", what);
                }

                return (mediaType, null, index);
            }

            var manifest = JsonSerializer.Deserialize<OciManifest>(content) ?? throw new ModelPackFormatException($"{what} is JSON null");
            Check(manifest.Config, options.MaxConfigBytes, "config", what);
            foreach (var layer in manifest.Layers ?? [])
            {
                Check(layer, options.MaxBlobBytes, "layer", what);
            }

            return (mediaType, manifest, null);
        }
        catch (JsonException e)
        {
            throw new ModelPackFormatException($"{what} ({mediaType}) does not have the expected shape: {e.Message}", e);
        }
    }

    /// <summary>Refuses a descriptor whose size is negative or larger than <paramref name="limit"/>.</summary>
    public static void Check(OciDescriptor? descriptor, long limit, string role, string what)
    {
        if (descriptor is null)
        {
            throw new ModelPackFormatException($"{what}: a {role} descriptor is missing");
        }

        if (descriptor.Size < 0 || descriptor.Size > limit)
        {
            throw new ModelPackFormatException(
                $"{what}: {role} {ResponseExcerpt.Sanitise(descriptor.Digest, 80)} declares {descriptor.Size} bytes; a {role} must be between 0 and {limit} bytes");
        }
    }

    private sealed record ManifestProbe
    {
        [JsonPropertyName("mediaType")]
        public string? MediaType { get; init; }

        [JsonPropertyName("manifests")]
        public JsonElement? Manifests { get; init; }
    }
}
