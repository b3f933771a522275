using System.Text.Json.Serialization;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// The <c>org.cncf.model.file.metadata+json</c> annotation: the packed file's tar header fields.
/// <c>mode</c> is decimal (420 = 0644); <c>typeflag</c> is 0 or 48 ('0') for a regular file.
/// </summary>
public sealed record FileMetadata
{
    [JsonPropertyName("name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    [JsonPropertyName("mode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Mode { get; init; }

    [JsonPropertyName("uid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Uid { get; init; }

    [JsonPropertyName("gid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Gid { get; init; }

    [JsonPropertyName("size")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Size { get; init; }

    [JsonPropertyName("mtime")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Mtime { get; init; }

    [JsonPropertyName("typeflag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Typeflag { get; init; }

    [JsonIgnore]
    public bool IsRegularFile => Typeflag is null or 0 or '0';
}
