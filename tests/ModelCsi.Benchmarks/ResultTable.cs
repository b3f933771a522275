using System.Text;

namespace ModelCsi.Benchmarks;

/// <summary>The printed report: one row per figure, with its target and whether it is met.</summary>
public sealed class ResultTable
{
    private readonly List<(string Figure, string Value, string Target, string Met)> _rows = [];

    public void Add(string figure, string value, string target = "", bool? met = null) =>
        _rows.Add((figure, value, target, met switch { true => "yes", false => "NO", null => "" }));

    public string Render()
    {
        var header = ("figure", "value", "target", "met");
        var all = _rows.Prepend(header).ToList();
        var w1 = all.Max(r => r.Item1.Length);
        var w2 = all.Max(r => r.Item2.Length);
        var w3 = all.Max(r => r.Item3.Length);
        var text = new StringBuilder();
        foreach (var (row, index) in all.Select((r, i) => (r, i)))
        {
            text.Append(row.Item1.PadRight(w1)).Append("  ").Append(row.Item2.PadLeft(w2)).Append("  ")
                .Append(row.Item3.PadRight(w3)).Append("  ").Append(row.Item4).AppendLine();
            if (index == 0)
            {
                text.Append(new string('-', w1 + w2 + w3 + 11)).AppendLine();
            }
        }

        return text.ToString();
    }
}
