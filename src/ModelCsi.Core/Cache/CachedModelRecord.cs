using System.Text.Json.Serialization;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Cache;

/// <summary>What the cache knows of one complete model; stored beside it in <c>index/</c>.</summary>
public sealed record CachedModelRecord
{
    [JsonPropertyName("manifestDigest")]
    public required string ManifestDigest { get; init; }

    /// <summary>The layers the model was limited to; null for the whole model.</summary>
    [JsonPropertyName("selection")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LayerSelection? Selection { get; init; }

    /// <summary>The model's <see cref="CacheKeys"/>: what its directory, record and in-use marks are keyed by.</summary>
    [JsonIgnore]
    public string Key => CacheKeys.For(ManifestDigest, Selection);

    /// <summary>The references that resolved to this model, most recent last.</summary>
    [JsonPropertyName("references")]
    public required IReadOnlyList<string> References { get; init; }

    /// <summary>Sum of the (selected) layer sizes as published (compressed where the layer is).</summary>
    [JsonPropertyName("size")]
    public required long Size { get; init; }

    /// <summary>Digests of the layers in the model directory: the selected ones for a subset.</summary>
    [JsonPropertyName("layers")]
    public required IReadOnlyList<string> Layers { get; init; }

    [JsonPropertyName("pulledAt")]
    public required DateTimeOffset PulledAt { get; init; }

    [JsonPropertyName("lastUsedAt")]
    public required DateTimeOffset LastUsedAt { get; init; }

    /// <summary>Tag references whose last resolution on this node was this model: kept with the model, gone with it.</summary>
    [JsonPropertyName("tags")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResolvedTag>? Tags { get; init; }

    /// <summary>The last signature verification of this digest; null when none passed (or no rule checks it).</summary>
    [JsonPropertyName("signature")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CachedSignature? Signature { get; init; }

    /// <summary>
    /// Who may be served the model from the cache: null when it was pulled anonymously (anyone); otherwise the
    /// salted hashes of the credentials the registry accepted for it (never the secrets).
    /// </summary>
    [JsonPropertyName("access")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CachedAccess? Access { get; init; }
}
