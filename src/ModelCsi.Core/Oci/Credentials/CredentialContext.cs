namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// What a pull knows about who asks: the CSI secrets of the request and the pod (from the volume
/// context when the CSIDriver has <c>podInfoOnMount</c>). <see cref="ToString"/> never prints secrets.
/// </summary>
public sealed record CredentialContext
{
    public static readonly CredentialContext None = new();

    /// <summary>CSI secrets of the request (<c>nodePublishSecretRef</c>, provisioner secrets).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    public string? PodNamespace { get; init; }

    public string? PodName { get; init; }

    public string? PodUid { get; init; }

    public string? ServiceAccountName { get; init; }

    // Keys kubelet sets in volume_context when the CSIDriver object has podInfoOnMount: true.
    public const string PodNameKey = "csi.storage.k8s.io/pod.name";
    public const string PodNamespaceKey = "csi.storage.k8s.io/pod.namespace";
    public const string PodUidKey = "csi.storage.k8s.io/pod.uid";
    public const string ServiceAccountNameKey = "csi.storage.k8s.io/serviceAccount.name";

    /// <summary>The context of a CSI publish: its secrets and the pod info kubelet put in the volume context.</summary>
    public static CredentialContext FromVolume(IReadOnlyDictionary<string, string>? secrets, IReadOnlyDictionary<string, string>? volumeContext) => new()
    {
        Secrets = secrets ?? new Dictionary<string, string>(),
        PodNamespace = Value(volumeContext, PodNamespaceKey),
        PodName = Value(volumeContext, PodNameKey),
        PodUid = Value(volumeContext, PodUidKey),
        ServiceAccountName = Value(volumeContext, ServiceAccountNameKey),
    };

    public bool HasPod => PodNamespace is not null && PodName is not null;

    public override string ToString() =>
        $"CredentialContext {{ secrets: [{string.Join(", ", Secrets.Keys)}], pod: {(HasPod ? $"{PodNamespace}/{PodName}" : "none")}, serviceAccount: {ServiceAccountName ?? "none"} }}";

    private static string? Value(IReadOnlyDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
}
