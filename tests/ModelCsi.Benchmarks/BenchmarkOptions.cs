using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>The benchmark's command line, and the sizes it implies (full or <c>--quick</c>).</summary>
public sealed record BenchmarkOptions
{
    public const string Usage = """
        usage: modelcsi-bench [--quick] [--reps N] [--size-gib N] [--small-files K] [--warm N] [--work-dir DIR] [--keep]
                              [--baseline DRIVER.dll]
          --quick          small sizes and 1 repetition: a smoke test of every step in a few minutes
          --reps N         repetitions of every measurement (default 5; --quick: 1)
          --size-gib N     the one-raw-layer model and the eight-layer model in GiB (default 2; tar forms get half)
          --small-files K  files in the small-files tar layer (default 20000; --quick: 2000)
          --warm N         publishes timed per concurrency level (default 100; --quick: 20)
          --work-dir DIR   where the driver's root and the peers' output go: bench.sh passes a journaled
                           ext4 loop filesystem of its own (default: a temp dir on the root filesystem)
          --keep           keep the work directory afterwards
          --baseline DLL   instead of the full run: this driver build ("before") against the built one ("after"),
                           alternating which goes first, on the cold pull of the one-raw-layer model, warm
                           publish p99 and RSS (issue 10's "no worse than before")
        """;

    public bool Quick { get; init; }

    public int Reps { get; init; } = 5;

    public double SizeGib { get; init; } = 2;

    public int SmallFiles { get; init; } = 20_000;

    public int Warm { get; init; } = 100;

    public string? WorkDir { get; init; }

    public bool Keep { get; init; }

    /// <summary>Another build's modelcsi-driver.dll to compare with (<c>--baseline</c>); null for the full run.</summary>
    public string? Baseline { get; init; }

    /// <summary>Bytes of the one-raw-layer model (and of the eight-layer model in total).</summary>
    public long RawBytes => (long)(SizeGib * (1L << 30));

    /// <summary>Bytes of file content in each of the plain tar, gzip and zstd models.</summary>
    public long TarBytes => RawBytes / 2;

    public static IReadOnlyList<int> Concurrency { get; } = [1, 10, 50];

    public const int ManyVolumes = 200;

    public const int DynamicVolumes = 30;

    /// <summary>The options, or null when the arguments are not understood.</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        bool repsGiven = false, sizeGiven = false, filesGiven = false, warmGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--quick":
                    options = options with { Quick = true };
                    break;
                case "--keep":
                    options = options with { Keep = true };
                    break;
                case "--work-dir" when value is not null:
                    options = options with { WorkDir = value };
                    i++;
                    break;
                case "--baseline" when value is not null && File.Exists(value):
                    options = options with { Baseline = Path.GetFullPath(value) };
                    i++;
                    break;
                case "--reps" when int.TryParse(value, CultureInfo.InvariantCulture, out var reps) && reps is > 0 and <= 100:
                    options = options with { Reps = reps };
                    repsGiven = true;
                    i++;
                    break;
                case "--size-gib" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var size) && size is > 0 and <= 64:
                    options = options with { SizeGib = size };
                    sizeGiven = true;
                    i++;
                    break;
                case "--small-files" when int.TryParse(value, CultureInfo.InvariantCulture, out var files) && files is > 0 and <= 1_000_000:
                    options = options with { SmallFiles = files };
                    filesGiven = true;
                    i++;
                    break;
                case "--warm" when int.TryParse(value, CultureInfo.InvariantCulture, out var warm) && warm is > 0 and <= 100_000:
                    options = options with { Warm = warm };
                    warmGiven = true;
                    i++;
                    break;
                default:
                    return null;
            }
        }

        if (options.Quick)
        {
            options = options with
            {
                Reps = repsGiven ? options.Reps : 1,
                SizeGib = sizeGiven ? options.SizeGib : 0.0625,
                SmallFiles = filesGiven ? options.SmallFiles : 2000,
                Warm = warmGiven ? options.Warm : 20,
            };
        }

        return options;
    }
}
