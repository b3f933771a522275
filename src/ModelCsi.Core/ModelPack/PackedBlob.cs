using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>A packed layer: its descriptor and the file holding its bytes (the source file for raw layers).</summary>
public sealed record PackedBlob(OciDescriptor Descriptor, string ContentPath, string RelativePath)
{
    public Stream Open() =>
        new FileStream(ContentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
