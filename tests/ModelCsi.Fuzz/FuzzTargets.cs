using ModelCsi.Core.ModelPack;

namespace ModelCsi.Fuzz;

/// <summary>
/// The fuzz targets by name. Each reads one input and returns normally when the code under test accepted it or
/// refused it the documented way (a typed exception the driver maps to a status code); anything else escapes and
/// is a crash to afl-fuzz.
/// </summary>
internal static class FuzzTargets
{
    private static readonly Dictionary<string, Action<Stream>> Targets = new(StringComparer.Ordinal)
    {
        ["tar"] = input => LayerUnpackTarget.Run(input, "application/vnd.cncf.model.weight.v1.tar"),
        ["tar-gzip"] = input => LayerUnpackTarget.Run(input, "application/vnd.cncf.model.weight.v1.tar+gzip"),
        ["tar-zstd"] = input => LayerUnpackTarget.Run(input, "application/vnd.cncf.model.weight.v1.tar+zstd"),
        ["manifest"] = JsonTargets.Manifest,
        ["index"] = JsonTargets.Index,
        ["config"] = JsonTargets.Config,
        ["reference"] = ReferenceTarget.Run,
        ["glob"] = GlobTarget.Run,
    };

    public static IEnumerable<string> Names => Targets.Keys;

    public static Action<Stream>? Find(string name) => Targets.GetValueOrDefault(name);

    /// <summary>Inputs are capped like the driver caps them (manifests at 4 MiB); afl's own inputs are far smaller.</summary>
    public static byte[] ReadAll(Stream input, int max = 4 << 20)
    {
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        return buffer.Length > max ? buffer.GetBuffer()[..max] : buffer.ToArray();
    }

    /// <summary>Raised by a target when an invariant (not just "no crash") fails: a round trip or a differential check.</summary>
    public static Exception Violated(string what) => new InvariantViolatedException(what);

    /// <summary>Whether a refusal is one the code documents: every ModelPack error is.</summary>
    public static bool IsModelPackRefusal(Exception e) => e is ModelPackException;
}
