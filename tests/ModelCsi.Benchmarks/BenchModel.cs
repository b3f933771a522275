using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Benchmarks;

/// <summary>One model pushed to the benchmark's registry: its reference, layers and how much content it holds.</summary>
public sealed record BenchModel(
    string Name,
    string RegistryHost,
    string Repository,
    string ManifestDigest,
    IReadOnlyList<OciDescriptor> Layers,
    long ContentBytes,
    int FileCount)
{
    public string TagReference => $"{RegistryHost}/{Repository}:v1";

    public string DigestReference => $"{RegistryHost}/{Repository}@{ManifestDigest}";

    public long BlobBytes => Layers.Sum(l => l.Size);

    /// <summary>Layers above 1 MiB: the ones the driver fetches in parallel and the limits are measured on.</summary>
    public IReadOnlyList<OciDescriptor> BigLayers => Layers.Where(l => l.Size > (1 << 20)).DefaultIfEmpty(Layers.MaxBy(l => l.Size)!).ToList();

    public Uri BlobUri(OciDescriptor layer) => new($"http://{RegistryHost}/v2/{Repository}/blobs/{layer.Digest}");

    public static LayerForm FormOf(OciDescriptor layer) =>
        LayerMediaType.TryParse(layer.MediaType, out var type) ? type.Form : LayerForm.Raw;
}
