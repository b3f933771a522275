using System.Text.Json.Serialization;

namespace ModelCsi.Core.Cache;

/// <summary>What the cache knows of one complete model; stored beside it in <c>index/</c>.</summary>
public sealed record CachedModelRecord
{
    [JsonPropertyName("manifestDigest")]
    public required string ManifestDigest { get; init; }

    /// <summary>The references that resolved to this model, most recent last.</summary>
    [JsonPropertyName("references")]
    public required IReadOnlyList<string> References { get; init; }

    /// <summary>Sum of the layer sizes as published (compressed where the layer is).</summary>
    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("layers")]
    public required IReadOnlyList<string> Layers { get; init; }

    [JsonPropertyName("pulledAt")]
    public required DateTimeOffset PulledAt { get; init; }

    [JsonPropertyName("lastUsedAt")]
    public required DateTimeOffset LastUsedAt { get; init; }
}
