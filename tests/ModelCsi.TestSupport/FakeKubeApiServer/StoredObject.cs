using System.Text.Json.Nodes;

namespace ModelCsi.TestSupport;

/// <summary>An object as the fake API server keeps it: the written body plus each field manager's applied status.</summary>
internal sealed class StoredObject(JsonObject body)
{
    public JsonObject Body { get; set; } = body;

    /// <summary>Applied status configurations by field manager, in the order the managers first applied.</summary>
    public List<KeyValuePair<string, JsonObject>> StatusApplies { get; } = [];

    public JsonObject Render(string resource)
    {
        var rendered = (JsonObject)Body.DeepClone();
        if (StatusApplies.Count > 0)
        {
            rendered["status"] = ServerSideApply.Merge(Body["status"] as JsonObject, StatusApplies.Select(a => a.Value), KubeKinds.StatusListMapKeys(resource));
        }

        return rendered;
    }
}
