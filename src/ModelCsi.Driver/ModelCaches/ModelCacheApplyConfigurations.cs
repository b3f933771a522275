using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// The server-side apply bodies the driver sends to a ModelCache's status. Each writer sends only the fields
/// it owns: a node its own <c>status.nodes</c> entry, the controller the summary. Under its own field
/// manager, an apply without an entry the writer sent before removes that entry.
/// </summary>
public static class ModelCacheApplyConfigurations
{
    /// <summary>The node's entry, or (null) no entry: the node's earlier entry is removed.</summary>
    public static JsonObject NodeEntry(string cacheName, ModelCacheNodeStatus? entry)
    {
        var nodes = new JsonArray();
        if (entry is not null)
        {
            var node = new JsonObject
            {
                ["node"] = entry.Node,
                ["phase"] = entry.Phase,
                ["sizeBytes"] = entry.SizeBytes,
                ["downloadedBytes"] = entry.DownloadedBytes,
            };
            if (entry.Digest is not null)
            {
                node["digest"] = entry.Digest;
            }

            if (!string.IsNullOrEmpty(entry.Message))
            {
                node["message"] = entry.Message;
            }

            if (entry.LastTransitionTime is { } at)
            {
                node["lastTransitionTime"] = Timestamp(at);
            }

            nodes.Add(node);
        }

        return Object(cacheName, new JsonObject { ["nodes"] = nodes });
    }

    /// <summary>The controller's summary: resolved digest, counts and the Ready condition.</summary>
    public static JsonObject Summary(string cacheName, ModelCacheSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var status = new JsonObject
        {
            ["desiredNodes"] = summary.DesiredNodes,
            ["readyNodes"] = summary.ReadyNodes,
            ["failedNodes"] = summary.FailedNodes,
            // Printer columns read one field each: kubectl get mcache shows READY 3/5 and a short DIGEST.
            ["readyLabel"] = $"{summary.ReadyNodes}/{summary.DesiredNodes}",
            ["observedGeneration"] = summary.ObservedGeneration,
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = summary.Ready.Type,
                ["status"] = summary.Ready.Status,
                ["reason"] = summary.Ready.Reason,
                ["message"] = summary.Ready.Message,
                ["lastTransitionTime"] = Timestamp(summary.Ready.LastTransitionTime),
                ["observedGeneration"] = summary.Ready.ObservedGeneration,
            }),
        };
        if (summary.ResolvedDigest is not null)
        {
            status["resolvedDigest"] = summary.ResolvedDigest;
            status["shortDigest"] = ShortDigest(summary.ResolvedDigest);
        }

        return Object(cacheName, status);
    }

    private static JsonObject Object(string name, JsonObject status) => new()
    {
        ["apiVersion"] = ModelCacheResource.ApiVersion,
        ["kind"] = ModelCacheResource.Kind,
        ["metadata"] = new JsonObject { ["name"] = name },
        ["status"] = status,
    };

    private static string ShortDigest(string digest)
    {
        var hex = digest[(digest.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return hex.Length > 12 ? hex[..12] : hex;
    }

    // metav1.Time: RFC 3339 in UTC with whole seconds.
    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
