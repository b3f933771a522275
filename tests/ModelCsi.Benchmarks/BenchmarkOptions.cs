using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>The benchmark's command line.</summary>
public sealed record BenchmarkOptions
{
    public const string Usage = """
        usage: modelcsi-bench [--size-gib N] [--files K] [--warm N] [--keep]
          --size-gib N   total size of the weight files in GiB (default 2; fractions allowed)
          --files K      number of weight files of equal size, plus a config.json (default 4)
          --warm N       publishes of the cached model to time (default 100)
          --keep         keep the temp directory (model files, driver root) afterwards
        """;

    public double SizeGib { get; init; } = 2;

    public int Files { get; init; } = 4;

    public int Warm { get; init; } = 100;

    public bool Keep { get; init; }

    public long TotalWeightBytes => (long)(SizeGib * 1024 * 1024 * 1024);

    /// <summary>The options, or null when the arguments are not understood.</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--keep":
                    options = options with { Keep = true };
                    break;
                case "--size-gib" when i + 1 < args.Count && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var size) && size > 0:
                    options = options with { SizeGib = size };
                    i++;
                    break;
                case "--files" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var files) && files > 0:
                    options = options with { Files = files };
                    i++;
                    break;
                case "--warm" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var warm) && warm > 0:
                    options = options with { Warm = warm };
                    i++;
                    break;
                default:
                    return null;
            }
        }

        return options;
    }
}
