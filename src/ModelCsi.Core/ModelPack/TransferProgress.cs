using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A snapshot of a pull or push: bytes moved so far out of the total of all layers, and layers finished.
/// <see cref="CompletedLayer"/> is set on the report made when that layer finished (verified, or already present).
/// </summary>
public readonly record struct TransferProgress(
    long BytesTransferred,
    long TotalBytes,
    int LayersCompleted,
    int LayerCount,
    OciDescriptor? CompletedLayer = null);
