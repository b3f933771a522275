using System.Text.Json.Serialization;

namespace ModelCsi.Driver.Dynamic;

/// <summary>One mount as the socket API shows it.</summary>
internal sealed record DynamicMountView
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("manifestDigest")]
    public string? ManifestDigest { get; init; }

    [JsonPropertyName("state")]
    public required DynamicMountState State { get; init; }

    /// <summary>Where the model appears, relative to the volume's root (e.g. models/llama).</summary>
    [JsonPropertyName("path")]
    public required string Path { get; init; }

    /// <summary>Bytes of the model's blobs to fetch, once the pull has resolved the manifest; null before (or on a cache hit).</summary>
    [JsonPropertyName("bytesTotal")]
    public long? BytesTotal { get; init; }

    [JsonPropertyName("bytesDone")]
    public long BytesDone { get; init; }

    [JsonPropertyName("error")]
    public string? Error { get; init; }
}
