namespace ModelCsi.Driver.ModelCaches;

/// <summary>One node's <c>status.nodes</c> entry, written by that node alone.</summary>
public sealed record ModelCacheNodeStatus(
    string Node,
    string Phase,
    string? Digest,
    long SizeBytes,
    long DownloadedBytes,
    string? Message,
    DateTimeOffset? LastTransitionTime);
