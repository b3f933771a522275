using System.Text.Json.Serialization;

namespace ModelCsi.Core.State;

/// <summary>The pod a volume was published for, as kubelet passes it in volume_context (podInfoOnMount).</summary>
public sealed record PodInfo
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("uid")]
    public string? Uid { get; init; }

    [JsonPropertyName("serviceAccountName")]
    public string? ServiceAccountName { get; init; }

    /// <summary>True for a CSI ephemeral inline volume.</summary>
    [JsonPropertyName("ephemeral")]
    public bool Ephemeral { get; init; }

    public override string ToString() => Namespace is null && Name is null ? "-" : $"{Namespace}/{Name}";
}
