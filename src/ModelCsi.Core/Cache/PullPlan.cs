using ModelCsi.Core.Failures;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>The plan stage of the pull pipeline: which layers of a resolved model a pull fetches.</summary>
internal static class PullPlan
{
    /// <summary>
    /// The manifest limited to the layers the selection keeps (the manifest itself without a selection).
    /// A selection that keeps nothing is the volume's mistake, reported with a few of the model's paths.
    /// </summary>
    public static OciManifest SelectLayers(string reference, ResolvedModel model, LayerSelection? selection)
    {
        if (selection is null)
        {
            return model.Manifest;
        }

        var layers = model.Manifest.Layers.Where(selection.Selects).ToList();
        if (layers.Count > 0)
        {
            return model.Manifest with { Layers = layers };
        }

        const int shown = 8;
        var all = model.Manifest.Layers;
        var paths = all.Take(shown).Select(l =>
            (LayerSelection.FilePath(l) ?? $"(no path, {l.Digest})") + (LayerMediaType.TryParse(l.MediaType, out var type) ? $" [{type.Kind}]" : ""));
        var more = all.Count > shown ? $" and {all.Count - shown} more" : "";
        throw new ModelPullException(
            FailureKind.InvalidArgument,
            reference,
            $"the layer selection ({selection}) matches nothing in {reference} ({model.ManifestDigest}); its {all.Count} layers are: {string.Join(", ", paths)}{more}")
        { Step = "select layers" };
    }
}
