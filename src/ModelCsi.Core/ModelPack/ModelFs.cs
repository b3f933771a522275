using System.Text.Json.Serialization;

namespace ModelCsi.Core.ModelPack;

/// <summary>The config's <c>modelfs</c>: the uncompressed digests of the layers, in order.</summary>
public sealed record ModelFs
{
    public const string LayersType = "layers";

    [JsonPropertyName("type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; init; }

    [JsonPropertyName("diffIds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? DiffIds { get; init; }

    /// <summary>The cnai spelling; read for compatibility and written only for the cnai family.</summary>
    [JsonPropertyName("diff_ids")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? DiffIdsSnakeCase { get; init; }

    /// <summary>The diff ids in whichever spelling the writer used.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> AllDiffIds => DiffIds ?? DiffIdsSnakeCase ?? [];
}
