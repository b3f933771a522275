using System.Text;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.TestSupport;

/// <summary>
/// Pushes a model whose raw layers carry media types chosen by the test rather than guessed by the packer
/// from file names (e.g. <c>tiktoken.model</c> as weight config), as other packers write them.
/// </summary>
public static class HandPackedModel
{
    public const string ConfigMediaType = "application/vnd.cncf.model.config.v1+json";

    /// <summary>Pushes one raw layer per file under <c>registry/repository:tag</c>; returns the manifest digest and the layers by path.</summary>
    public static async Task<(string ManifestDigest, IReadOnlyDictionary<string, OciDescriptor> Layers)> PushAsync(
        string registryHost, string repository, string tag, IReadOnlyList<HandPackedFile> files)
    {
        var layers = files.Select(f => OciTestContent.Describe(f.Content, f.MediaType) with
        {
            Annotations = new Dictionary<string, string> { ["org.cncf.model.filepath"] = f.Path },
        }).ToList();
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            descriptor = new { name = "hand-packed" },
            config = new { },
            modelfs = new { type = "layers", diffIds = layers.Select(l => l.Digest).ToArray() },
        }));
        var configDescriptor = OciTestContent.Describe(config, ConfigMediaType);
        var manifest = OciTestContent.Manifest(configDescriptor, layers);

        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:{tag}"));
        for (var i = 0; i < files.Count; i++)
        {
            await using var content = new MemoryStream(files[i].Content);
            await repo.PushBlobAsync(layers[i], content);
        }

        await using (var content = new MemoryStream(config))
        {
            await repo.PushBlobAsync(configDescriptor, content);
        }

        await repo.PushManifestAsync(tag, OciMediaTypes.ImageManifest, manifest);
        return (Digest.Of(manifest), layers.Select((l, i) => (files[i].Path, l)).ToDictionary(p => p.Path, p => p.l));
    }
}
