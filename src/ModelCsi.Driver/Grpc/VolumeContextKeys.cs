namespace ModelCsi.Driver.Grpc;

/// <summary>volume_context keys this driver reads.</summary>
internal static class VolumeContextKeys
{
    public const string ModelRef = "modelRef";
    public const string ModelReference = "model.csi.modelpack.org/reference";
    public const string SubPath = "subPath";

    /// <summary>IfNotPresent, Always or Never: when a tag is resolved at the registry (kubelet's default rule when absent).</summary>
    public const string PullPolicy = "pullPolicy";

    // "dynamic": no model of its own; the pod mounts models into it through a socket in the volume.
    public const string Mode = "mode";
    public const string DynamicMode = "dynamic";

    // Written by CreateVolume next to the pinned modelRef: what the StorageClass asked for, and the model's size.
    public const string RequestedReference = "model.csi.modelpack.org/requested-reference";
    public const string ModelSize = "model.csi.modelpack.org/size-bytes";

    // Set by kubelet when the CSIDriver object has podInfoOnMount: true.
    public const string PodName = "csi.storage.k8s.io/pod.name";
    public const string PodNamespace = "csi.storage.k8s.io/pod.namespace";
    public const string PodUid = "csi.storage.k8s.io/pod.uid";
    public const string ServiceAccountName = "csi.storage.k8s.io/serviceAccount.name";
    public const string Ephemeral = "csi.storage.k8s.io/ephemeral";
}
