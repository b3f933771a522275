using System.Text.Json.Serialization;

namespace ModelCsi.Driver.Dynamic;

/// <summary>One mount of a dynamic volume as its state file keeps it across driver restarts.</summary>
internal sealed record DynamicMountRecord
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("manifestDigest")]
    public string? ManifestDigest { get; init; }

    [JsonPropertyName("state")]
    public required DynamicMountState State { get; init; }

    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}
