using System.Text.Json.Serialization;

namespace ModelCsi.Core.Oci;

/// <summary>The platform of a manifest listed in an index.</summary>
public sealed record OciPlatform
{
    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    [JsonPropertyName("os")]
    public string? Os { get; init; }
}
