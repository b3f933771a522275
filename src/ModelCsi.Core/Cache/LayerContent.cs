using System.Text;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>Where each layer of a model lives in the cache: raw layers as blobs, tar layers unpacked under <c>layers/</c>.</summary>
internal static class LayerContent
{
    public static bool IsRaw(OciDescriptor layer) =>
        LayerMediaType.TryParse(layer.MediaType, out var type) && type.Form == LayerForm.Raw;

    /// <summary>
    /// An unpacked tar layer is keyed by its digest and the path annotation together, because the
    /// annotation can decide where a lone file lands (a tar holding only a basename).
    /// </summary>
    public static string LayerKey(OciDescriptor layer)
    {
        var path = layer.Annotation(ModelPackAnnotations.CncfFilePath) ?? layer.Annotation(ModelPackAnnotations.CnaiFilePath) ?? string.Empty;
        return Digest.Hex(Digest.Of(Encoding.UTF8.GetBytes(layer.Digest + "\n" + path)));
    }

    /// <summary>The file or directory a layer is kept in once complete.</summary>
    public static string PathOf(CacheLayout layout, OciDescriptor layer) =>
        IsRaw(layer) ? layout.Blob(layer.Digest) : layout.Layer(LayerKey(layer));

    public static bool IsCached(CacheLayout layout, OciDescriptor layer) =>
        IsRaw(layer) ? File.Exists(layout.Blob(layer.Digest)) : Directory.Exists(layout.Layer(LayerKey(layer)));

    /// <summary>The blob files and layer directories a model's directory is linked from.</summary>
    public static IEnumerable<string> Of(CacheLayout layout, string manifestDigest, OciManifest manifest)
    {
        yield return layout.Blob(manifestDigest);
        yield return layout.Blob(manifest.Config.Digest);
        foreach (var layer in manifest.Layers)
        {
            yield return PathOf(layout, layer);
        }
    }

    /// <summary>The manifest with only the layers a selection keeps, so a subset protects only what its directory links.</summary>
    public static OciManifest LimitTo(OciManifest manifest, LayerSelection? selection) =>
        selection is null ? manifest : manifest with { Layers = manifest.Layers.Where(selection.Selects).ToList() };
}
