using System.Globalization;
using System.Text.Json.Nodes;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>ModelCache objects as a user would apply them, for the fake API server.</summary>
internal static class ModelCacheObjects
{
    public static JsonObject Create(string name, string modelRef, IReadOnlyDictionary<string, string>? matchLabels = null, string? resolvedDigest = null,
        DateTimeOffset? created = null, bool pin = true, string? pullSecret = null)
    {
        var spec = new JsonObject { ["modelRef"] = modelRef, ["pin"] = pin };
        if (matchLabels is not null)
        {
            var labels = new JsonObject();
            foreach (var (key, value) in matchLabels)
            {
                labels[key] = value;
            }

            spec["nodeSelector"] = new JsonObject { ["matchLabels"] = labels };
        }

        if (pullSecret is not null)
        {
            spec["pullSecretRef"] = new JsonObject { ["namespace"] = "models", ["name"] = pullSecret };
        }

        var metadata = new JsonObject { ["name"] = name };
        if (created is { } at)
        {
            metadata["creationTimestamp"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        var body = new JsonObject { ["apiVersion"] = "model.csi.modelpack.org/v1alpha1", ["kind"] = "ModelCache", ["metadata"] = metadata, ["spec"] = spec };
        if (resolvedDigest is not null)
        {
            body["status"] = new JsonObject { ["resolvedDigest"] = resolvedDigest };
        }

        return body;
    }

    public static JsonObject? NodeEntry(FakeKubeApiServer server, string cache, string node) =>
        (server.Get("modelcaches", cache)?["status"]?["nodes"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(n => (string?)n["node"] == node);

    public static string? Phase(FakeKubeApiServer server, string cache, string node) => (string?)NodeEntry(server, cache, node)?["phase"];
}
