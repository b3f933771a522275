using System.Text.Json.Serialization;

namespace ModelCsi.Core.ModelPack;

/// <summary>The config's <c>config.capabilities</c>.</summary>
public sealed record ModelCapabilities
{
    [JsonPropertyName("inputTypes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? InputTypes { get; init; }

    [JsonPropertyName("outputTypes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? OutputTypes { get; init; }

    [JsonPropertyName("knowledgeCutoff")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KnowledgeCutoff { get; init; }

    [JsonPropertyName("reasoning")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Reasoning { get; init; }

    [JsonPropertyName("toolUsage")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? ToolUsage { get; init; }

    [JsonPropertyName("reward")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Reward { get; init; }

    [JsonPropertyName("languages")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Languages { get; init; }
}
