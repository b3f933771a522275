using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>Turns the figures into the table, one row per figure the issue asks for, with its target.</summary>
public static class ReportBuilder
{
    private const double MiB = 1 << 20;

    public static ReportTable Build(Figures f, IReadOnlyList<BenchModel> models)
    {
        var table = new ReportTable();
        table.Add("openssl sha256, one core", f["openssl sha256, one core"].Format(Rate));
        table.Add("disk write + fsync (dd)", f["disk write + fsync"].Format(Rate));
        foreach (var model in models)
        {
            var name = model.Name;
            var size = $"{model.ContentBytes / 1e6:F0} MB";
            switch (name)
            {
                case ModelCatalog.RawOne or ModelCatalog.RawEight:
                    table.Add($"{name}: curl -> /dev/null | openssl x cores", f[$"{name}: curl"].Format(Rate), f[$"{name}: openssl x cores"].Format(Rate));
                    var target = name == ModelCatalog.RawOne ? 0.75 : 0.80;
                    Ratio(table, f, $"{name} ({size}) vs limit", $"{name}: driver", Rate, $"{name}: limit", Rate, $"{name}: limit ratio", $">= {target:F2} of limit", r => r >= target);
                    Ratio(table, f, $"{name} vs skopeo copy", $"{name}: driver", Rate, $"{name}: peer", Rate, $"{name}: peer ratio",
                        name == ModelCatalog.RawOne ? ">= 4x" : "", name == ModelCatalog.RawOne ? r => r >= 4 : null);
                    if (name == ModelCatalog.RawOne)
                    {
                        Ratio(table, f, "(component) PipelinedBlobFetcher alone, same blob", "PipelinedBlobFetcher alone", Rate, $"{name}: limit", Rate, "PipelinedBlobFetcher alone: ratio", ">= 0.75 of limit", r => r >= 0.75);
                        table.Add("sched_yield calls: driver's cold pull | PipelinedBlobFetcher alone", f[$"{name}: sched_yield"].Format(N), f["PipelinedBlobFetcher alone: sched_yield"].Format(N) + " (component)");
                    }

                    Written(table, f, name, 1.05);
                    break;
                case ModelCatalog.SmallFiles:
                    Ratio(table, f, $"{model.FileCount} small files, time per file", $"{name}: driver", Micros, $"{name}: peer", Micros, $"{name}: ratio", "<= 1.5x tar's time", r => r <= 1.5);
                    Written(table, f, name, 1.15);
                    break;
                default:
                    var (goal, meets) = name switch
                    {
                        ModelCatalog.PlainTar => (">= 0.8x", (Func<double, bool>)(r => r >= 0.8)),
                        ModelCatalog.Zstd => (">= 0.9x", r => r >= 0.9),
                        _ => ("> 1x (stays ahead)", r => r > 1),
                    };
                    Ratio(table, f, $"{name} ({size}) vs {Peers.Describe(model)}", $"{name}: driver", Rate, $"{name}: peer", Rate, $"{name}: peer ratio", goal, meets);
                    Written(table, f, name, 1.15);
                    break;
            }
        }

        foreach (var c in BenchmarkOptions.Concurrency)
        {
            Ratio(table, f, $"warm publish p50 (by digest), concurrency {c}", $"publish c{c}", Ms, $"publish c{c} floor", Ms, $"publish c{c} ratio", "<= 3x kernel floor", r => r <= 3);
        }

        foreach (var c in BenchmarkOptions.Concurrency)
        {
            table.Add($"(bound) empty CSI call (Probe) p50, concurrency {c}", f[$"probe c{c}"].Format(Ms), f[$"publish c{c}"].Format(Ms) + " (publish)");
            table.Add($"(bound) driver CPU per publish | unpublish, concurrency {c}", f[$"publish c{c} driver cpu"].Format(Micros), f[$"unpublish c{c} driver cpu"].Format(Micros) + " (unpublish)");
        }

        foreach (var c in BenchmarkOptions.Concurrency)
        {
            Ratio(table, f, $"unpublish p50, concurrency {c}", $"unpublish c{c}", Ms, $"unpublish c{c} floor", Ms, $"unpublish c{c} ratio", "<= 5x its floor", r => r <= 5);
        }

        Ratio(table, f, $"cached publish p99 during a pull ({f["publish during pull: samples"].Format(N)} samples) vs idle",
            "publish during pull p99", Ms, "publish during pull p99 floor", Ms, "publish during pull p99 ratio", "<= 1.5x idle", r => r <= 1.5);
        Ratio(table, f, "warm publish of a tag p50: IfNotPresent vs Always", "tag IfNotPresent p50", Ms, "tag Always p50", Ms, "tag Always/IfNotPresent p50", "(issue 13; ratio = Always / IfNotPresent)", null);
        table.Add("warm publish of a tag p99: IfNotPresent vs Always", f["tag IfNotPresent p99"].Format(Ms), f["tag Always p99"].Format(Ms));
        Limit(table, f, "driver peak RSS during any pull", "driver peak RSS during pulls", 128);
        table.Add("  peak RSS by model (median MiB)", string.Join("; ", models.Select(m => $"{m.Name} {f[$"{m.Name}: peak RSS"].Median / MiB:F0}")));
        Limit(table, f, $"driver RSS with {BenchmarkOptions.ManyVolumes} volumes", "RSS with many volumes", 140);
        table.Add($"driver RSS with {BenchmarkOptions.DynamicVolumes} dynamic volumes", f["RSS with dynamic volumes"].Format(Mib));
        Limit(table, f, "RSS per dynamic volume", "RSS per dynamic volume", 0.2);
        return table;
    }

    private static void Ratio(ReportTable table, Figures f, string name, string driver, Func<double, string> driverFormat,
        string against, Func<double, string> againstFormat, string ratio, string target, Func<double, bool>? meets)
    {
        var median = f[ratio].Median;
        table.Add(name, f[driver].Format(driverFormat), f[against].Format(againstFormat), f[ratio].Format(Times), target,
            meets is null || double.IsNaN(median) ? null : meets(median));
    }

    private static void Written(ReportTable table, Figures f, string name, double target)
    {
        var median = f[$"{name}: written per byte"].Median;
        table.Add($"{name}: bytes written per model byte", f[$"{name}: written per byte"].Format(Plain), f[$"{name}: peer written per byte"].Format(Plain) + " (peer)",
            "", $"<= {target:F2}", double.IsNaN(median) ? null : median <= target);
    }

    private static void Limit(ReportTable table, Figures f, string name, string figure, double mib)
    {
        var median = f[figure].Median;
        table.Add(name, f[figure].Format(Mib), "", "", $"<= {mib.ToString(CultureInfo.InvariantCulture)} MiB", double.IsNaN(median) ? null : median <= mib * MiB);
    }

    internal static string Rate(double mbps) => $"{mbps:F0} MB/s";

    private static string Micros(double us) => $"{us:F0} us";

    internal static string Ms(double ms) => $"{ms:F2} ms";

    internal static string Mib(double bytes) => $"{bytes / MiB:F2} MiB";

    internal static string Times(double ratio) => $"{ratio:F2}";

    private static string Plain(double value) => $"{value:F2}";

    private static string N(double value) => $"{value:F0}";
}
