using System.Text.Json.Nodes;

namespace ModelCsi.TestSupport;

/// <summary>
/// The part of server-side apply the driver relies on: each field manager's last applied configuration is
/// kept, and the live value is every manager's configuration merged in turn. Maps merge by field; lists
/// declared <c>x-kubernetes-list-type: map</c> merge entry by entry on their key, so managers owning
/// different entries never overwrite each other; other lists and scalars are replaced. A manager that
/// applies again without an entry it applied before gives that entry up (it disappears unless another
/// manager applies it too). Conflicts are not detected (every caller here applies with force).
/// </summary>
internal static class ServerSideApply
{
    public static JsonObject Merge(JsonObject? baseValue, IEnumerable<JsonObject> applied, IReadOnlyDictionary<string, string> listMapKeys)
    {
        var result = (JsonObject?)baseValue?.DeepClone() ?? [];
        foreach (var configuration in applied)
        {
            MergeInto(result, configuration, "", listMapKeys);
        }

        return result;
    }

    private static void MergeInto(JsonObject target, JsonObject source, string path, IReadOnlyDictionary<string, string> listMapKeys)
    {
        foreach (var (name, value) in source)
        {
            var childPath = path.Length == 0 ? name : path + "." + name;
            if (value is JsonObject sourceObject && target[name] is JsonObject targetObject)
            {
                MergeInto(targetObject, sourceObject, childPath, listMapKeys);
            }
            else if (value is JsonArray sourceArray && listMapKeys.TryGetValue(childPath, out var key))
            {
                if (target[name] is not JsonArray targetArray)
                {
                    targetArray = [];
                    target[name] = targetArray;
                }

                foreach (var entry in sourceArray.OfType<JsonObject>())
                {
                    var keyValue = entry[key]?.ToJsonString();
                    var existing = targetArray.OfType<JsonObject>().FirstOrDefault(e => e[key]?.ToJsonString() == keyValue);
                    if (existing is null)
                    {
                        targetArray.Add(entry.DeepClone());
                    }
                    else
                    {
                        MergeInto(existing, entry, childPath + "[]", listMapKeys);
                    }
                }
            }
            else
            {
                target[name] = value?.DeepClone();
            }
        }
    }
}
