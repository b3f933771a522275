using System.Text.Json.Serialization;

namespace ModelCsi.Core.State;

/// <summary>What this node published at one target path: enough to answer idempotent retries and to clean up after a restart.</summary>
public sealed record PublishedVolume
{
    [JsonPropertyName("volumeId")]
    public required string VolumeId { get; init; }

    [JsonPropertyName("targetPath")]
    public required string TargetPath { get; init; }

    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    /// <summary>
    /// The model's cache key (see <c>CacheKeys</c>): its manifest digest, followed by <c>+&lt;selection key&gt;</c>
    /// when the volume selected a subset of the layers. Stored as <c>manifestDigest</c>, the name it had before
    /// selections existed, so records written by older drivers still read after an upgrade.
    /// </summary>
    [JsonPropertyName("manifestDigest")]
    public required string CacheKey { get; init; }

    /// <summary>The directory bind-mounted at the target (the model directory, or a sub directory of it).</summary>
    [JsonPropertyName("sourcePath")]
    public required string SourcePath { get; init; }

    /// <summary>Files, directories and links the model showed when it was published: a later count below it means files went missing.</summary>
    [JsonPropertyName("entries")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Entries { get; init; }

    [JsonPropertyName("subPath")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SubPath { get; init; }

    [JsonPropertyName("pod")]
    public PodInfo Pod { get; init; } = new();

    /// <summary>
    /// A dynamic volume: no model of its own; the pod mounts models into it through its socket. Its
    /// <see cref="Reference"/> and <see cref="CacheKey"/> are empty and its mounts live in its own state file.
    /// </summary>
    [JsonPropertyName("dynamic")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Dynamic { get; init; }

    [JsonPropertyName("publishedAt")]
    public required DateTimeOffset PublishedAt { get; init; }
}
