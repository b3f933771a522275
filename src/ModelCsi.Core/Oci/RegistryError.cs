using System.Text.Json.Serialization;

namespace ModelCsi.Core.Oci;

/// <summary>One entry of the <c>errors</c> array a registry returns (distribution-spec error codes).</summary>
public sealed record RegistryError
{
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    public override string ToString() => Message is null ? Code ?? "" : $"{Code}: {Message}";
}
