using System.Text.Json.Serialization;

namespace ModelCsi.Core.Cache;

/// <summary>A tag reference this node last resolved to the model, and when: what a pull policy serves without asking.</summary>
public sealed record ResolvedTag
{
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("resolvedAt")]
    public required DateTimeOffset ResolvedAt { get; init; }
}
