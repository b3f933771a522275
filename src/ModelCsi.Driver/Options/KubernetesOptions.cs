namespace ModelCsi.Driver.Options;

/// <summary>
/// How the driver reaches the Kubernetes API (<c>kubernetes:</c> in the config file, <c>--kubeconfig</c>):
/// a kubeconfig file when one is named here or in <c>KUBECONFIG</c>, else the pod's in-cluster service account.
/// </summary>
public sealed class KubernetesOptions
{
    /// <summary>A kubeconfig file, for running outside a cluster. Empty: <c>KUBECONFIG</c>, then in-cluster.</summary>
    public string Kubeconfig { get; set; } = "";

    /// <summary>The kubeconfig context to use; empty for its current context.</summary>
    public string Context { get; set; } = "";
}
