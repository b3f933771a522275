using System.Text.Json;
using System.Text.Json.Nodes;
using ModelCsi.Driver.ModelCaches;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>
/// The CRD's schema against the code: the API server prunes fields a structural schema does not declare, so a
/// field the driver writes but the schema lacks would silently vanish, and a field the schema allows but the
/// reader ignores would be a setting that does nothing.
/// </summary>
public sealed class CrdSchemaTests
{
    private static readonly string Root = FindRoot();
    private static readonly Dictionary<string, string> Schema = LoadSchema();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Join(directory.FullName, "ModelCsi.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no ModelCsi.sln above the test binaries");
    }

    /// <summary>Every property path of the schema (arrays as <c>[]</c>) with its type.</summary>
    private static Dictionary<string, string> LoadSchema()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Join(Root, "charts", "model-csi", "crds", "modelcaches.model.csi.modelpack.org.yaml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var version = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)root["spec"])["versions"]).Children[0];
        var schema = (YamlMappingNode)((YamlMappingNode)version["schema"])["openAPIV3Schema"];
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(schema, "", paths);
        return paths;
    }

    private static void Walk(YamlMappingNode node, string path, Dictionary<string, string> paths)
    {
        var type = node.Children.TryGetValue("type", out var t) ? ((YamlScalarNode)t).Value! : "";
        if (path.Length > 0)
        {
            paths[path] = type;
        }

        if (node.Children.TryGetValue("properties", out var properties))
        {
            foreach (var (name, child) in ((YamlMappingNode)properties).Children)
            {
                Walk((YamlMappingNode)child, path.Length == 0 ? ((YamlScalarNode)name).Value! : path + "." + ((YamlScalarNode)name).Value, paths);
            }
        }

        if (node.Children.TryGetValue("items", out var items))
        {
            Walk((YamlMappingNode)items, path + "[]", paths);
        }

        if (node.Children.TryGetValue("additionalProperties", out var additional) && additional is YamlMappingNode map)
        {
            Walk(map, path + ".*", paths);
        }
    }

    private static IEnumerable<(string Path, string Type)> Leaves(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj when Schema.ContainsKey(path + ".*"):
                yield return (path, "object");
                foreach (var (_, value) in obj)
                {
                    foreach (var leaf in Leaves(value, path + ".*"))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonObject obj:
                if (path.Length > 0)
                {
                    yield return (path, "object");
                }

                foreach (var (name, value) in obj)
                {
                    foreach (var leaf in Leaves(value, path.Length == 0 ? name : path + "." + name))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray array:
                yield return (path, "array");
                foreach (var item in array)
                {
                    foreach (var leaf in Leaves(item, path + "[]"))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonValue value:
                yield return (path, value.GetValueKind() switch
                {
                    JsonValueKind.String => "string",
                    JsonValueKind.Number => "integer",
                    JsonValueKind.True or JsonValueKind.False => "boolean",
                    _ => "null",
                });
                break;
        }
    }

    private static JsonObject[] EverythingTheDriverWrites()
    {
        var at = DateTimeOffset.UtcNow;
        return
        [
            ModelCacheApplyConfigurations.NodeEntry("m", new ModelCacheNodeStatus("node-a", ModelCachePhase.Failed, "sha256:" + new string('a', 64), 1, 2, "why", at)),
            ModelCacheApplyConfigurations.Summary("m", new ModelCacheSummary("sha256:" + new string('a', 64), 3, 5, 3, 1,
                new ModelCacheCondition(ModelCacheCondition.Ready, "False", "NodesFailed", "1 of 5 nodes failed", at, 3))),
        ];
    }

    private static JsonObject Example() =>
        JsonNode.Parse(JsonSerializer.Serialize(new YamlDotNet.Serialization.DeserializerBuilder().Build()
            .Deserialize<object>(File.ReadAllText(Path.Join(Root, "deploy", "examples", "modelcache.yaml")))))!.AsObject();

    [Fact]
    public void Every_field_the_driver_writes_is_declared_with_its_type()
    {
        // metadata is the API server's own (ObjectMeta), not part of the CRD's schema.
        foreach (var (path, type) in EverythingTheDriverWrites().SelectMany(w => Leaves(w, "")).Where(l => !l.Path.StartsWith("metadata.", StringComparison.Ordinal)))
        {
            Assert.True(Schema.TryGetValue(path, out var declared), $"{path} is written but not in the CRD schema");
            Assert.True(declared == type, $"{path} is written as {type} but declared {declared}");
        }
    }

    [Fact]
    public void Every_status_field_the_schema_declares_is_written_by_a_node_or_the_controller()
    {
        var written = EverythingTheDriverWrites().SelectMany(w => Leaves(w, "")).Select(l => l.Path).ToHashSet(StringComparer.Ordinal);

        Assert.All(Schema.Keys.Where(p => p.StartsWith("status.", StringComparison.Ordinal)), p => Assert.Contains(p, written));
    }

    [Fact]
    public void The_example_uses_every_spec_field_the_schema_declares_and_the_reader_takes_each_of_them()
    {
        var example = Example();
        var used = Leaves(example, "").Select(l => l.Path).ToHashSet(StringComparer.Ordinal);
        Assert.All(Schema.Keys.Where(p => p.StartsWith("spec.", StringComparison.Ordinal)), p => Assert.Contains(p, used));
        Assert.All(used, p => Assert.True(Schema.ContainsKey(p) || p.StartsWith("metadata.", StringComparison.Ordinal), $"{p} is not in the schema"));

        // YAML scalars arrive as strings through the generic deserializer; give booleans their JSON type as the API server would.
        example["spec"]!["pin"] = true;
        example["spec"]!["selection"]!["excludeWeights"] = false;
        var spec = ModelCacheJson.Parse(JsonDocument.Parse(example.ToJsonString()).RootElement).Spec;

        Assert.Null(spec.Invalid);
        Assert.Equal("registry.example.com/models/qwen3:8b", spec.ModelRef);
        Assert.Equal("true", spec.NodeSelector.MatchLabels["nvidia.com/gpu.present"]);
        Assert.Equal("NotIn", Assert.Single(spec.NodeSelector.MatchExpressions).Operator);
        Assert.Equal(["*.safetensors", "*.json"], spec.Selection.IncludePatterns);
        Assert.Equal(["original/**"], spec.Selection.ExcludePatterns);
        Assert.Equal(new PullSecretReference("models", "registry-login"), spec.PullSecretRef);
        Assert.Equal(ModelCacheSpec.IfNotPresent, spec.PullPolicy);
        Assert.True(spec.Pin);
    }
}
