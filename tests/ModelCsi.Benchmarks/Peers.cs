using ModelCsi.Core.ModelPack;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The tools the driver is compared with, run on the same model into the same filesystem, each
/// followed by <c>sync -f</c> (the driver makes every byte durable, so they must too): skopeo copy for
/// raw layers, and <c>curl | tar -x</c> (with <c>-z</c> or <c>zstd -d</c>) for tar layers.
/// </summary>
public static class Peers
{
    public static bool HasSkopeo => ExternalCommand.Exists("skopeo");

    /// <summary><c>skopeo copy docker://… dir:…</c>; seconds.</summary>
    public static Task<double> SkopeoAsync(BenchModel model, string destination, CancellationToken cancellationToken = default) =>
        ExternalCommand.ShellAsync(
            $"skopeo copy --quiet --src-tls-verify=false docker://{model.TagReference} dir:{Quote(destination)}; sync -f {Quote(destination)}",
            cancellationToken);

    /// <summary>Every layer through <c>curl | [decompress |] tar -x</c>, one after another; seconds.</summary>
    public static Task<double> CurlTarAsync(BenchModel model, string destination, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(destination);
        var steps = model.Layers.Select(layer => $"curl -s -f {model.BlobUri(layer)} | " + (BenchModel.FormOf(layer) switch
        {
            LayerForm.TarGzip => $"tar -xz -C {Quote(destination)}",
            LayerForm.TarZstd => $"zstd -d -q -c | tar -x -C {Quote(destination)}",
            LayerForm.Tar => $"tar -x -C {Quote(destination)}",
            _ => $"cat > {Quote(Path.Combine(destination, layer.Digest[7..]))}",
        }));
        return ExternalCommand.ShellAsync(string.Join("; ", steps) + $"; sync -f {Quote(destination)}", cancellationToken);
    }

    /// <summary>How the peer for a model is described in the table.</summary>
    public static string Describe(BenchModel model) => model.Layers.Select(BenchModel.FormOf).Max() switch
    {
        LayerForm.Raw => "skopeo copy",
        LayerForm.TarGzip => "curl | tar -xz",
        LayerForm.TarZstd => "curl | zstd -d | tar -x",
        _ => "curl | tar -x",
    };

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
