namespace ModelCsi.Driver.ModelCaches;

/// <summary>A <c>status.conditions</c> entry (metav1.Condition).</summary>
public sealed record ModelCacheCondition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime, long ObservedGeneration)
{
    public const string Ready = "Ready";
}
