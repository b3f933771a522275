using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The last stage of the pull pipeline: builds a model directory of hard links into the store's blobs and
/// unpacked layers, in tmp/, and renames it into place, so a model is visible only complete.
/// </summary>
internal sealed class ModelAssembler(CacheLayout layout, LayerUnpacker unpacker)
{
    public string Assemble(string cacheKey, OciManifest manifest)
    {
        var final = layout.Model(cacheKey);
        if (Directory.Exists(final))
        {
            return final;
        }

        var work = layout.NewTempDirectory("model");
        try
        {
            foreach (var layer in manifest.Layers)
            {
                if (LayerContent.IsRaw(layer))
                {
                    unpacker.LinkRaw(layout.Blob(layer.Digest), layer, work);
                    ModelTreeLinker.MakeReadableByAll(layout.Blob(layer.Digest));
                }
                else
                {
                    ModelTreeLinker.LinkTree(layout.Layer(LayerContent.LayerKey(layer)), work);
                }
            }

            File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
            Directory.Move(work, final);
            return final;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
