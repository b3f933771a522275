using System.Text.Json.Serialization;

namespace ModelCsi.Core.ModelPack;

/// <summary>The ModelPack config blob (<c>application/vnd.cncf.model.config.v1+json</c>). Every part is optional when read.</summary>
public sealed record ModelConfig
{
    [JsonPropertyName("descriptor")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelDescriptor? Descriptor { get; init; }

    [JsonPropertyName("config")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelProperties? Config { get; init; }

    [JsonPropertyName("modelfs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelFs? ModelFs { get; init; }
}
