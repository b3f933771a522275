using System.Text.Json.Serialization;

namespace ModelCsi.Core.Cache;

/// <summary>
/// A signature verification remembered with a cached model, so a cache hit makes no signature request while the
/// policy still trusts the key that verified it under the same rule.
/// </summary>
public sealed record CachedSignature
{
    /// <summary>The signature rule that applied.</summary>
    [JsonPropertyName("rule")]
    public required string Rule { get; init; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the trusted key that verified the manifest digest.</summary>
    [JsonPropertyName("keyFingerprint")]
    public required string KeyFingerprint { get; init; }

    [JsonPropertyName("verifiedAt")]
    public required DateTimeOffset VerifiedAt { get; init; }
}
