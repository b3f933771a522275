namespace ModelCsi.Benchmarks;

/// <summary>
/// The before/after table: each figure of <see cref="BaselineCases"/> for this build ("driver") and the baseline
/// ("against"), and the after/before ratio. "No worse than before" allows 5% for the noise of a shared VM.
/// </summary>
public static class BaselineReport
{
    private const double Noise = 0.05;

    public static ReportTable Build(Figures f)
    {
        var table = new ReportTable();
        foreach (var name in BaselineCases.Names)
        {
            var throughput = name.EndsWith("MB/s", StringComparison.Ordinal);
            Func<double, string> format = throughput ? ReportBuilder.Rate : name.Contains("RSS", StringComparison.Ordinal) ? ReportBuilder.Mib : ReportBuilder.Ms;
            var ratio = f[$"ratio: {name}"];
            var median = ratio.Median;
            table.Add(name, f[$"{BaselineCases.After}: {name}"].Format(format), f[$"{BaselineCases.Before}: {name}"].Format(format) + " (before)",
                ratio.Format(ReportBuilder.Times),
                throughput ? $">= {1 - Noise:F2}x before" : $"<= {1 + Noise:F2}x before",
                double.IsNaN(median) ? null : throughput ? median >= 1 - Noise : median <= 1 + Noise);
        }

        return table;
    }
}
