namespace ModelCsi.Core.Kubernetes;

public sealed record KubernetesServiceAccount(string Namespace, string Name, IReadOnlyList<string> ImagePullSecrets);
