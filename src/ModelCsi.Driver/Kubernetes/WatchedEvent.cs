using k8s;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>One watch event: its type, the object (null for a BOOKMARK) and the resourceVersion it carries.</summary>
public sealed record WatchedEvent<T>(WatchEventType Type, T? Item, string? ResourceVersion)
    where T : class;
