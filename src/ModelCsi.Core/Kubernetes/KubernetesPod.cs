namespace ModelCsi.Core.Kubernetes;

/// <summary>What the driver needs of a pod: identity, service account and pull secrets.</summary>
public sealed record KubernetesPod(string Namespace, string Name, string? Uid, string? ServiceAccountName, IReadOnlyList<string> ImagePullSecrets);
