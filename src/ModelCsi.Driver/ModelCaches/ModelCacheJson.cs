using System.Globalization;
using System.Text.Json;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Reads ModelCache objects as the API server sends them. The CRD's schema has already validated them,
/// but the reader stays total: a bad field makes the spec <see cref="ModelCacheSpec.Invalid"/> instead of
/// throwing, so one broken object cannot stop a node from serving the others. Strings are bounded.
/// </summary>
public static class ModelCacheJson
{
    private const int MaxString = 4096;
    private const int MaxItems = 256;

    public static ModelCacheResource Parse(JsonElement item)
    {
        var metadata = Child(item, "metadata");
        var name = Text(metadata, "name") ?? "";
        var created = DateTimeOffset.TryParse(Text(metadata, "creationTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at : DateTimeOffset.MinValue;
        return new ModelCacheResource(name, Text(metadata, "uid"), created, Text(metadata, "resourceVersion"),
            Number(metadata, "generation") ?? 0, ParseSpec(Child(item, "spec")), ParseStatus(Child(item, "status")));
    }

    /// <summary><c>metadata.resourceVersion</c> alone (all a BOOKMARK carries).</summary>
    public static string? ResourceVersion(JsonElement item) => Text(Child(item, "metadata"), "resourceVersion");

    private static ModelCacheSpec ParseSpec(JsonElement spec)
    {
        var modelRef = Text(spec, "modelRef") ?? "";
        var pullPolicy = Text(spec, "pullPolicy") ?? ModelCacheSpec.IfNotPresent;
        var pin = Child(spec, "pin") is { ValueKind: JsonValueKind.False } ? false : true;
        var secret = Child(spec, "pullSecretRef");
        var pullSecret = secret.ValueKind == JsonValueKind.Object
            ? new PullSecretReference(Text(secret, "namespace") ?? "", Text(secret, "name") ?? "")
            : null;
        var selectionElement = Child(spec, "selection");
        var selection = new ModelCacheSelection(Strings(selectionElement, "includePatterns"), Strings(selectionElement, "excludePatterns"),
            Child(selectionElement, "excludeWeights").ValueKind == JsonValueKind.True);
        string? invalid = null;
        LabelSelector selector = LabelSelector.Everything;
        try
        {
            selector = ParseSelector(Child(spec, "nodeSelector"));
            if (selection.ToAttributes().Count > 0 && LayerSelection.FromAttributes(selection.ToAttributes()) is null)
            {
                invalid = "spec.selection selects nothing";
            }
        }
        catch (FormatException e)
        {
            invalid = e.Message;
        }

        if (modelRef.Length == 0)
        {
            invalid = "spec.modelRef is required";
        }
        else if (pullPolicy is not (ModelCacheSpec.IfNotPresent or ModelCacheSpec.Always))
        {
            invalid = $"spec.pullPolicy must be IfNotPresent or Always, not \"{pullPolicy}\"";
        }
        else if (pullSecret is { } s && (s.Namespace.Length == 0 || s.Name.Length == 0))
        {
            invalid = "spec.pullSecretRef needs namespace and name";
        }

        return new ModelCacheSpec(modelRef, selector, selection, pullSecret, pullPolicy, pin, invalid);
    }

    private static LabelSelector ParseSelector(JsonElement selector)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(selector, "matchLabels") is { ValueKind: JsonValueKind.Object } matchLabels)
        {
            foreach (var label in matchLabels.EnumerateObject().Take(MaxItems))
            {
                labels[Bound(label.Name)] = label.Value.ValueKind == JsonValueKind.String ? Bound(label.Value.GetString()!) : "";
            }
        }

        var expressions = new List<LabelSelectorRequirement>();
        if (Child(selector, "matchExpressions") is { ValueKind: JsonValueKind.Array } matchExpressions)
        {
            foreach (var expression in matchExpressions.EnumerateArray().Take(MaxItems))
            {
                expressions.Add(new LabelSelectorRequirement(Text(expression, "key") ?? "", Text(expression, "operator") ?? "", Strings(expression, "values")));
            }
        }

        return new LabelSelector(labels, expressions);
    }

    private static ModelCacheStatus ParseStatus(JsonElement status)
    {
        var nodes = new List<ModelCacheNodeStatus>();
        if (Child(status, "nodes") is { ValueKind: JsonValueKind.Array } entries)
        {
            foreach (var entry in entries.EnumerateArray().Take(100_000))
            {
                nodes.Add(new ModelCacheNodeStatus(Text(entry, "node") ?? "", Text(entry, "phase") ?? ModelCachePhase.Pending, Text(entry, "digest"),
                    Number(entry, "sizeBytes") ?? 0, Number(entry, "downloadedBytes") ?? 0, Text(entry, "message"), Time(entry, "lastTransitionTime")));
            }
        }

        var conditions = new List<ModelCacheCondition>();
        if (Child(status, "conditions") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var condition in list.EnumerateArray().Take(MaxItems))
            {
                conditions.Add(new ModelCacheCondition(Text(condition, "type") ?? "", Text(condition, "status") ?? "Unknown", Text(condition, "reason") ?? "",
                    Text(condition, "message") ?? "", Time(condition, "lastTransitionTime") ?? DateTimeOffset.MinValue, Number(condition, "observedGeneration") ?? 0));
            }
        }

        return new ModelCacheStatus(Text(status, "resolvedDigest"), Number(status, "observedGeneration"), (int)(Number(status, "desiredNodes") ?? 0),
            (int)(Number(status, "readyNodes") ?? 0), (int)(Number(status, "failedNodes") ?? 0), nodes, conditions);
    }

    private static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var child) ? child : default;

    private static string? Text(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.String } value ? Bound(value.GetString()!) : null;

    private static long? Number(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static List<string> Strings(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.Array } array
            ? [.. array.EnumerateArray().Take(MaxItems).Where(v => v.ValueKind == JsonValueKind.String).Select(v => Bound(v.GetString()!))]
            : [];

    private static string Bound(string value) => value.Length <= MaxString ? value : value[..MaxString];
}
