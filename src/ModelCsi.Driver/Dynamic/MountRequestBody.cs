using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelCsi.Driver.Dynamic;

/// <summary>The body of <c>POST /mounts</c>.</summary>
internal sealed record MountRequestBody
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("reference")]
    public string? Reference { get; init; }

    /// <summary>Which layers or files to mount; accepted by the API shape, refused until the store supports selective pulls.</summary>
    [JsonPropertyName("selection")]
    public JsonElement? Selection { get; init; }
}
