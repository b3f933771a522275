namespace ModelCsi.Driver.ModelCaches;

/// <summary><c>status</c> of a ModelCache: the controller's summary and every node's own entry.</summary>
public sealed record ModelCacheStatus(
    string? ResolvedDigest,
    long? ObservedGeneration,
    int DesiredNodes,
    int ReadyNodes,
    int FailedNodes,
    IReadOnlyList<ModelCacheNodeStatus> Nodes,
    IReadOnlyList<ModelCacheCondition> Conditions)
{
    public static ModelCacheStatus Empty { get; } = new(null, null, 0, 0, 0, [], []);

    public ModelCacheNodeStatus? Node(string node) => Nodes.FirstOrDefault(n => n.Node == node);
}
