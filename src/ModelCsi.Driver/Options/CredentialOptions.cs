using ModelCsi.Core.Oci.Credentials;

namespace ModelCsi.Driver.Options;

/// <summary>
/// The <c>credentials:</c> section: where registry credentials may come from besides the CSI secrets
/// of the request, which always come first.
/// </summary>
public sealed class CredentialOptions
{
    /// <summary>Read the pod's and its ServiceAccount's imagePullSecrets (needs RBAC get on pods, serviceaccounts, secrets).</summary>
    public bool PodPullSecrets { get; set; }

    /// <summary>Docker config files on the node, in order; empty means the kubelet's and root's.</summary>
    public IList<string> DockerConfigPaths { get; } = [];

    /// <summary>Use the node's docker config files at all.</summary>
    public bool NodeDockerConfig { get; set; } = true;

    public IReadOnlyList<string> EffectiveDockerConfigPaths => DockerConfigPaths.Count > 0 ? [.. DockerConfigPaths] : DockerConfigFileCredentialSource.DefaultPaths;
}
