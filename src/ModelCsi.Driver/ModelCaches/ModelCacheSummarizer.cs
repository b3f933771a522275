using ModelCsi.Driver.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// The controller's arithmetic: which nodes should hold the model (the Nodes its selector matches), how
/// many of them report it Ready with the resolved digest or Failed, and the Ready condition from that.
/// </summary>
public static class ModelCacheSummarizer
{
    /// <param name="resolvedDigest">The digest the nodes should hold; null while unresolved.</param>
    /// <param name="resolveError">Why the reference could not be resolved, or null.</param>
    public static ModelCacheSummary Summarize(ModelCacheResource cache, IEnumerable<NodeLabels> nodes, string? resolvedDigest, string? resolveError,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var desired = nodes.Where(n => cache.Spec.NodeSelector.Matches(n.Labels)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var entries = cache.Status.Nodes.Where(e => desired.Contains(e.Node)).ToList();
        var ready = entries.Count(e => e.Phase == ModelCachePhase.Ready && resolvedDigest is not null && e.Digest == resolvedDigest);
        var failed = entries.Where(e => e.Phase == ModelCachePhase.Failed).OrderBy(e => e.Node, StringComparer.Ordinal).ToList();
        var (status, reason, message) = (cache.Spec.Invalid, resolveError) switch
        {
            ({ } invalid, _) => ("False", "InvalidSpec", invalid),
            (_, { } error) => ("False", "ResolveFailed", $"could not resolve {cache.Spec.ModelRef}: {error}"),
            _ when resolvedDigest is null => ("False", "Resolving", $"resolving {cache.Spec.ModelRef}"),
            _ when desired.Count == 0 => ("False", "NoMatchingNodes", "no node matches spec.nodeSelector"),
            _ when ready == desired.Count => ("True", "AllNodesReady", $"{ready} of {desired.Count} nodes hold {resolvedDigest}"),
            _ when failed.Count > 0 => ("False", "NodesFailed",
                $"{failed.Count} of {desired.Count} nodes failed; {failed[0].Node}: {failed[0].Message}"),
            _ => ("False", "Pulling", $"{ready} of {desired.Count} nodes ready"),
        };
        var previous = cache.Status.Conditions.FirstOrDefault(c => c.Type == ModelCacheCondition.Ready);
        var since = previous is not null && previous.Status == status ? previous.LastTransitionTime : now;
        return new ModelCacheSummary(resolvedDigest, cache.Generation, desired.Count, ready, failed.Count,
            new ModelCacheCondition(ModelCacheCondition.Ready, status, reason, message, since, cache.Generation));
    }

    /// <summary>True when the summary says what the object's status already says (then nothing is written).</summary>
    public static bool IsCurrent(ModelCacheSummary summary, ModelCacheStatus status)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(status);
        var condition = status.Conditions.FirstOrDefault(c => c.Type == ModelCacheCondition.Ready);
        return status.ResolvedDigest == summary.ResolvedDigest && status.ObservedGeneration == summary.ObservedGeneration
            && status.DesiredNodes == summary.DesiredNodes && status.ReadyNodes == summary.ReadyNodes && status.FailedNodes == summary.FailedNodes
            && condition is not null && condition.Status == summary.Ready.Status && condition.Reason == summary.Ready.Reason
            && condition.Message == summary.Ready.Message && condition.ObservedGeneration == summary.Ready.ObservedGeneration;
    }
}
