using System.Text;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The printed report: one row per case with the driver's figure, what it is measured against, the
/// ratio (all min / median / max over the repetitions, ratios taken within each repetition), the
/// issue's target and whether the median meets it.
/// </summary>
public sealed class ReportTable
{
    private static readonly string[] Header = ["case", "driver", "against", "ratio", "target", "met"];
    private readonly List<string[]> _rows = [];

    public void Add(string name, string driver, string against = "", string ratio = "", string target = "", bool? met = null) =>
        _rows.Add([name, driver, against, ratio, target, met switch { true => "yes", false => "NO", null => "" }]);

    public string Render()
    {
        var all = _rows.Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var (row, index) in all.Select((r, i) => (r, i)))
        {
            text.Append(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd()).AppendLine();
            if (index == 0)
            {
                text.Append(new string('-', widths.Sum() + (2 * (widths.Length - 1)))).AppendLine();
            }
        }

        return text.ToString();
    }
}
