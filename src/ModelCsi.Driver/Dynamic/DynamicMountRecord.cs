using System.Text.Json.Serialization;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.Dynamic;

/// <summary>One mount of a dynamic volume as its state file keeps it across driver restarts.</summary>
internal sealed record DynamicMountRecord
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    /// <summary>The optional layer selection the mount asked for.</summary>
    [JsonPropertyName("selection")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LayerSelection? Selection { get; init; }

    /// <summary>The cache key the mount holds in use: the manifest digest, plus the selection key for a subset.</summary>
    [JsonPropertyName("manifestDigest")]
    public string? ManifestDigest { get; init; }

    [JsonPropertyName("state")]
    public required DynamicMountState State { get; init; }

    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}
