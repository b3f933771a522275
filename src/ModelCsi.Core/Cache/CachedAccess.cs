using System.Text.Json.Serialization;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The credentials a private model's registry accepted, as salted SHA-256 hashes over (repository, credential):
/// enough to recognise a caller that already passed, useless to anyone reading the record.
/// </summary>
public sealed record CachedAccess
{
    [JsonPropertyName("salt")]
    public required string Salt { get; init; }

    [JsonPropertyName("grants")]
    public required IReadOnlyList<string> Grants { get; init; }
}
