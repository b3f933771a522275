namespace ModelCsi.Driver.ModelCaches;

/// <summary>What the controller writes: the resolved digest, the node counts and the Ready condition.</summary>
public sealed record ModelCacheSummary(string? ResolvedDigest, long ObservedGeneration, int DesiredNodes, int ReadyNodes, int FailedNodes, ModelCacheCondition Ready);
