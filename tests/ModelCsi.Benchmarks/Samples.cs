namespace ModelCsi.Benchmarks;

/// <summary>One figure over the repetitions: min / median / max (NaN entries are runs that had no value).</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];

    public int Count => _values.Count(v => !double.IsNaN(v));

    public void Add(double value) => _values.Add(value);

    /// <summary>The value of the latest repetition (NaN when none yet).</summary>
    public double Last => _values.Count == 0 ? double.NaN : _values[^1];

    public double Min => Valid().DefaultIfEmpty(double.NaN).Min();

    public double Max => Valid().DefaultIfEmpty(double.NaN).Max();

    public double Median
    {
        get
        {
            var sorted = Valid().Order().ToArray();
            return sorted.Length == 0 ? double.NaN
                : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
                : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public string Format(Func<double, string> one) =>
        Count == 0 ? "n/a" : Count == 1 ? one(Median) : $"{one(Min)} / {one(Median)} / {one(Max)}";

    private IEnumerable<double> Valid() => _values.Where(v => !double.IsNaN(v));
}
