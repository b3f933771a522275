namespace ModelCsi.Core.Kubernetes;

/// <summary>A core/v1 Event about a pod.</summary>
/// <param name="Type"><c>Normal</c> or <c>Warning</c>.</param>
/// <param name="Reason">A short CamelCase reason, e.g. <c>ModelPulling</c>.</param>
public sealed record KubernetesEvent(
    string Namespace,
    string PodName,
    string? PodUid,
    string Type,
    string Reason,
    string Message,
    DateTimeOffset Time,
    string ReportingComponent,
    string? ReportingInstance)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}
