namespace ModelCsi.Driver.ModelCaches;

/// <summary>What one ModelCache asks of one node's cache.</summary>
/// <param name="ModelRef">The reference as <c>spec.modelRef</c> names it (tag or digest).</param>
/// <param name="ResolvedDigest">The manifest digest the controller resolved it to; pull this when set.</param>
/// <param name="SelectionAttributes">The layer selection as volume attributes (<c>includePatterns</c>,
/// <c>excludePatterns</c> as JSON arrays, <c>excludeWeights</c>), empty for the whole model.</param>
/// <param name="PullPolicy"><c>IfNotPresent</c> or <c>Always</c>, as for volumes.</param>
/// <param name="DockerConfigJson">The <c>.dockerconfigjson</c> of <c>spec.pullSecretRef</c>, when one is named and readable.</param>
/// <param name="Owner">Who holds the pin: <c>modelcache/NAME</c>.</param>
/// <param name="Pin">Keep the model from eviction while the ModelCache exists and the node matches.</param>
public sealed record WarmRequest(
    string ModelRef,
    string? ResolvedDigest,
    IReadOnlyDictionary<string, string> SelectionAttributes,
    string PullPolicy,
    string? DockerConfigJson,
    string Owner,
    bool Pin)
{
    /// <summary>What the request asks for, without the secret: equal keys need no new pull.</summary>
    public string Key => string.Join("\n", [ModelRef, ResolvedDigest ?? "", PullPolicy, Pin ? "pin" : "nopin",
        .. SelectionAttributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value)]);

    /// <summary>Never shows the pull secret.</summary>
    public override string ToString() => $"{ResolvedDigest ?? ModelRef} for {Owner}{(Pin ? " (pinned)" : "")}";
}
