namespace ModelCsi.Benchmarks;

/// <summary>Every measured figure by name, each collecting one value per repetition.</summary>
public sealed class Figures
{
    private readonly Dictionary<string, Samples> _samples = [];

    public Samples this[string name]
    {
        get
        {
            if (!_samples.TryGetValue(name, out var samples))
            {
                samples = new Samples();
                _samples[name] = samples;
            }

            return samples;
        }
    }

    /// <summary>Adds a figure and, when both are numbers, the ratio of two figures of the same repetition.</summary>
    public void AddRatio(string name, double numerator, double denominator) =>
        this[name].Add(denominator > 0 && !double.IsNaN(numerator) && !double.IsNaN(denominator) ? numerator / denominator : double.NaN);

    /// <summary>Nearest-rank percentile of latencies, NaN when there are none.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double quantile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
