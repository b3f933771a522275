using System.ComponentModel;
using System.Globalization;

namespace ModelCsi.Core.Cache;

/// <summary>
/// A size in bytes as written in configuration: plain bytes (<c>1048576</c>), binary units (<c>Ki</c>,
/// <c>Mi</c>, <c>Gi</c>, <c>Ti</c>) or decimal ones (<c>K</c>, <c>M</c>, <c>G</c>, <c>T</c>), like Kubernetes quantities.
/// </summary>
[TypeConverter(typeof(ByteSizeConverter))]
public readonly partial record struct ByteSize(long Bytes)
{
    public static readonly ByteSize Zero = new(0);

    private static readonly (string Suffix, long Factor)[] Suffixes =
    [
        ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40), ("Pi", 1L << 50),
        ("KB", 1_000L), ("MB", 1_000_000L), ("GB", 1_000_000_000L), ("TB", 1_000_000_000_000L),
        ("k", 1_000L), ("K", 1_000L), ("M", 1_000_000L), ("G", 1_000_000_000L), ("T", 1_000_000_000_000L), ("P", 1_000_000_000_000_000L),
        ("B", 1L),
    ];

    public bool IsZero => Bytes == 0;

    /// <exception cref="FormatException">The text is not a size.</exception>
    public static ByteSize Parse(string text) =>
        TryParse(text, out var size) ? size : throw new FormatException($"'{text}' is not a size (examples: 200Gi, 500Mi, 10G, 1048576)");

    public static bool TryParse(string? text, out ByteSize size)
    {
        size = Zero;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return false;
        }

        long factor = 1;
        var number = trimmed;
        foreach (var (suffix, value) in Suffixes)
        {
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = value;
                number = trimmed[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount < 0)
        {
            return false;
        }

        try
        {
            var bytes = decimal.Round(amount * factor, MidpointRounding.AwayFromZero);
            if (bytes > long.MaxValue)
            {
                return false;
            }

            size = new ByteSize((long)bytes);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>The largest binary unit that divides the size exactly (<c>200Gi</c>), else plain bytes.</summary>
    public override string ToString()
    {
        string[] units = ["Pi", "Ti", "Gi", "Mi", "Ki"];
        for (var i = 0; i < units.Length; i++)
        {
            var factor = 1L << (10 * (units.Length - i));
            if (Bytes != 0 && Bytes % factor == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{Bytes / factor}{units[i]}");
            }
        }

        return Bytes.ToString(CultureInfo.InvariantCulture);
    }
}
