using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Driver.ModelCaches;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>ModelCache objects on the API server: list, watch, and server-side apply to their status.</summary>
public sealed class ModelCacheClient(IKubernetes client)
{
    /// <summary>Server-side watches end after this; the list+watch loop reconnects from where it was.</summary>
    private const int WatchTimeoutSeconds = 300;

    public async Task<(IReadOnlyList<ModelCacheResource> Items, string? ResourceVersion)> ListAsync(CancellationToken cancellationToken)
    {
        var list = (JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync(
            ModelCacheResource.Group, ModelCacheResource.Version, ModelCacheResource.Plural, cancellationToken: cancellationToken);
        var items = list.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(ModelCacheJson.Parse).Where(c => c.Name.Length > 0).ToList()
            : [];
        return (items, ModelCacheJson.ResourceVersion(list));
    }

    public async IAsyncEnumerable<WatchedEvent<ModelCacheResource>> WatchAsync(string? resourceVersion, Action<Exception> onError,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = client.CustomObjects.WatchListClusterCustomObjectAsync(ModelCacheResource.Group, ModelCacheResource.Version, ModelCacheResource.Plural,
            allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, item) in events.WithCancellation(cancellationToken))
        {
            if (item is not JsonElement element)
            {
                continue;
            }

            yield return type == WatchEventType.Bookmark
                ? new WatchedEvent<ModelCacheResource>(type, null, ModelCacheJson.ResourceVersion(element))
                : new WatchedEvent<ModelCacheResource>(type, ModelCacheJson.Parse(element), ModelCacheJson.ResourceVersion(element));
        }
    }

    /// <summary>Server-side apply to the status subresource (force: each writer owns its fields alone). False when the object is gone.</summary>
    public async Task<bool> ApplyStatusAsync(string name, JsonObject applyConfiguration, string fieldManager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(applyConfiguration);
        try
        {
            await client.CustomObjects.PatchClusterCustomObjectStatusAsync(new V1Patch(applyConfiguration.ToJsonString(), V1Patch.PatchType.ApplyPatch),
                ModelCacheResource.Group, ModelCacheResource.Version, ModelCacheResource.Plural, name, fieldManager: fieldManager, force: true,
                cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (HttpOperationException e)
        {
            throw new KubernetesApiException($"applying the status of ModelCache {name}: HTTP {(int)e.Response.StatusCode}", (int)e.Response.StatusCode, e);
        }
    }
}
