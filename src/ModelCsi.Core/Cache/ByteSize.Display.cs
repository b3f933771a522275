using System.Globalization;

namespace ModelCsi.Core.Cache;

/// <summary>Sizes for people to read (progress lines, listings), as opposed to <see cref="ToString"/>, which round-trips through <see cref="Parse"/>.</summary>
public readonly partial record struct ByteSize
{
    private static readonly string[] DisplayUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary><c>512 B</c>, <c>1.5 GiB</c>: binary units, one decimal.</summary>
    public string ToDisplayString()
    {
        double value = Bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < DisplayUnits.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{Bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {DisplayUnits[unit]}");
    }

    /// <summary><see cref="ToDisplayString"/> of a byte count.</summary>
    public static string Format(long bytes) => new ByteSize(bytes).ToDisplayString();
}
