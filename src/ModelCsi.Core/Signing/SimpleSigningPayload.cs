using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// The document a cosign signature signs (containers/image "simple signing", cosign flavour):
/// <c>{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":…},"optional":…}</c>.
/// </summary>
public sealed record SimpleSigningPayload(string ManifestDigest, string? DockerReference)
{
    /// <summary>Payloads are a few hundred bytes; anything past this is not a payload.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The exact bytes cosign writes (same key order, no whitespace).</summary>
    public static byte[] Create(string dockerReference, string manifestDigest)
    {
        ArgumentException.ThrowIfNullOrEmpty(dockerReference);
        if (!Digest.IsValidSha256(manifestDigest))
        {
            throw new ArgumentException($"'{manifestDigest}' is not a sha256 digest", nameof(manifestDigest));
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("critical");
            json.WriteStartObject("identity");
            json.WriteString("docker-reference", dockerReference);
            json.WriteEndObject();
            json.WriteStartObject("image");
            json.WriteString("docker-manifest-digest", manifestDigest);
            json.WriteEndObject();
            json.WriteString("type", CosignFormat.PayloadType);
            json.WriteEndObject();
            json.WriteNull("optional");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a payload; <paramref name="problem"/> says what is wrong when it is not one.</summary>
    public static bool TryParse(byte[] content, [NotNullWhen(true)] out SimpleSigningPayload? payload, out string problem)
    {
        ArgumentNullException.ThrowIfNull(content);
        payload = null;
        if (content.Length > MaxBytes)
        {
            problem = $"the payload is {content.Length} bytes, more than {MaxBytes}";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("critical", out var critical) || critical.ValueKind != JsonValueKind.Object)
            {
                problem = "the payload has no \"critical\" object";
                return false;
            }

            if (!critical.TryGetProperty("image", out var image) || image.ValueKind != JsonValueKind.Object
                || !image.TryGetProperty("docker-manifest-digest", out var digestElement) || digestElement.ValueKind != JsonValueKind.String)
            {
                problem = "the payload has no critical.image.docker-manifest-digest";
                return false;
            }

            var digest = digestElement.GetString()!;
            if (!Digest.IsValidSha256(digest))
            {
                problem = $"the payload's docker-manifest-digest '{Truncate(digest)}' is not a sha256 digest";
                return false;
            }

            string? dockerReference = null;
            if (critical.TryGetProperty("identity", out var identity) && identity.ValueKind == JsonValueKind.Object
                && identity.TryGetProperty("docker-reference", out var referenceElement) && referenceElement.ValueKind == JsonValueKind.String)
            {
                dockerReference = referenceElement.GetString();
            }

            payload = new SimpleSigningPayload(digest, string.IsNullOrEmpty(dockerReference) ? null : dockerReference);
            problem = "";
            return true;
        }
        catch (JsonException e)
        {
            problem = $"the payload is not JSON ({e.Message})";
            return false;
        }
    }

    /// <summary>
    /// True when the payload names no repository, or the same registry and repository as <paramref name="reference"/>
    /// (Docker Hub spellings normalised; a tag or digest in the identity is ignored).
    /// </summary>
    public bool NamesRepositoryOf(OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (DockerReference is null)
        {
            return true;
        }

        return OciReference.TryParse(DockerReference, out var signed)
            && string.Equals(signed.Registry, reference.Registry, StringComparison.OrdinalIgnoreCase)
            && signed.Repository == reference.Repository;
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
