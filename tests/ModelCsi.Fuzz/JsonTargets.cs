using System.Text.Json;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Fuzz;

/// <summary>Manifest, index and config JSON read the way the driver reads them, then used the way it uses them.</summary>
internal static class JsonTargets
{
    public static void Manifest(Stream input)
    {
        var json = FuzzTargets.ReadAll(input);
        try
        {
            var artifact = ArtifactClassifier.Classify(ModelPackJson.ReadManifest(json));
            foreach (var layer in artifact.Layers)
            {
                _ = LayerSelection.FilePath(layer.Descriptor);
                _ = LayerSelection.IsWeight(layer.Descriptor);
            }
        }
        catch (Exception e) when (FuzzTargets.IsModelPackRefusal(e))
        {
        }
    }

    public static void Index(Stream input)
    {
        var json = FuzzTargets.ReadAll(input);
        try
        {
            // RepositoryClient reads an index with the default options and turns JsonException into a registry error.
            var index = JsonSerializer.Deserialize<OciIndex>(json);
            foreach (var entry in index?.Manifests ?? [])
            {
                _ = $"{entry?.ArtifactType} {entry?.MediaType} {entry?.Digest} {entry?.Platform?.Os}/{entry?.Platform?.Architecture}";
            }
        }
        catch (JsonException)
        {
        }
    }

    public static void Config(Stream input)
    {
        var json = FuzzTargets.ReadAll(input);
        try
        {
            var config = ModelPackJson.ReadConfig(json);
            _ = ModelPackJson.WriteConfig(config);
        }
        catch (Exception e) when (FuzzTargets.IsModelPackRefusal(e))
        {
        }
    }
}
