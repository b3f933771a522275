using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>Nodes on the API server: list and watch their labels, all of them or one by name.</summary>
public sealed class NodeClient(IKubernetes client)
{
    private const int WatchTimeoutSeconds = 300;

    public async Task<(IReadOnlyList<NodeLabels> Items, string? ResourceVersion)> ListAsync(string? name, CancellationToken cancellationToken)
    {
        var list = await client.CoreV1.ListNodeAsync(fieldSelector: Selector(name), cancellationToken: cancellationToken);
        return ([.. list.Items.Select(ToLabels)], list.Metadata?.ResourceVersion);
    }

    public async IAsyncEnumerable<WatchedEvent<NodeLabels>> WatchAsync(string? name, string? resourceVersion, Action<Exception> onError,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, fieldSelector: Selector(name), resourceVersion: resourceVersion,
            timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, node) in events.WithCancellation(cancellationToken))
        {
            yield return new WatchedEvent<NodeLabels>(type, type == WatchEventType.Bookmark ? null : ToLabels(node), node.Metadata?.ResourceVersion);
        }
    }

    private static string? Selector(string? name) => name is null ? null : "metadata.name=" + name;

    private static NodeLabels ToLabels(V1Node node) =>
        new(node.Metadata?.Name ?? "", node.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : new Dictionary<string, string>());
}
