namespace ModelCsi.TestSupport;

/// <summary>The resources the fake API server serves: plural name to API version, kind and scope.</summary>
internal static class KubeKinds
{
    public const string ModelCacheGroupVersion = "model.csi.modelpack.org/v1alpha1";

    private static readonly Dictionary<string, (string ApiVersion, string Kind, bool Namespaced)> Known = new(StringComparer.Ordinal)
    {
        ["nodes"] = ("v1", "Node", false),
        ["pods"] = ("v1", "Pod", true),
        ["secrets"] = ("v1", "Secret", true),
        ["serviceaccounts"] = ("v1", "ServiceAccount", true),
        ["events"] = ("v1", "Event", true),
        ["modelcaches"] = (ModelCacheGroupVersion, "ModelCache", false),
    };

    public static bool TryGet(string resource, out (string ApiVersion, string Kind, bool Namespaced) kind) => Known.TryGetValue(resource, out kind);

    public static (string ApiVersion, string Kind, bool Namespaced) Of(string resource) =>
        Known.TryGetValue(resource, out var kind) ? kind : throw new ArgumentException($"the fake API server does not serve {resource}", nameof(resource));

    /// <summary>Map-list keys of the status subresource (the CRD's <c>x-kubernetes-list-map-keys</c>), by path.</summary>
    public static IReadOnlyDictionary<string, string> StatusListMapKeys(string resource) => resource == "modelcaches"
        ? new Dictionary<string, string>(StringComparer.Ordinal) { ["nodes"] = "node", ["conditions"] = "type" }
        : new Dictionary<string, string>();
}
