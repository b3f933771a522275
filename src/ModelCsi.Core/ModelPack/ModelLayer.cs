using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>A layer of an accepted model artifact with its parsed media type.</summary>
public sealed record ModelLayer(OciDescriptor Descriptor, LayerMediaType MediaType);
