using ModelCsi.Core.Kubernetes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary><c>spec</c> of a ModelCache.</summary>
/// <param name="Invalid">Why the spec cannot be acted on (reported as the node's Failed message), or null.</param>
public sealed record ModelCacheSpec(
    string ModelRef,
    LabelSelector NodeSelector,
    ModelCacheSelection Selection,
    PullSecretReference? PullSecretRef,
    string PullPolicy,
    bool Pin,
    string? Invalid = null)
{
    public const string IfNotPresent = "IfNotPresent";
    public const string Always = "Always";
}
