namespace ModelCsi.Core.Cache;

/// <summary>When a tag is resolved at the registry, as kubelet's imagePullPolicy decides for images.</summary>
public enum PullPolicy
{
    /// <summary>A tag this node already resolved to a cached model is served with no registry request.</summary>
    IfNotPresent,

    /// <summary>The tag is resolved every time; when the registry is unavailable the last-known resolution is served.</summary>
    Always,

    /// <summary>Cache only: a model not cached is refused.</summary>
    Never,
}
