using System.Text;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A short, printable excerpt of an untrusted value for error messages: an oversized value must not come back
/// whole (a 1 MB attribute echoed in a gRPC status exceeds the HTTP/2 header limit), and a CR or LF in it must not
/// forge log lines.
/// </summary>
internal static class ValueExcerpt
{
    public const int MaxChars = 64;

    public static string Of(string? value, int maxChars = MaxChars)
    {
        if (value is null)
        {
            return "";
        }

        var shown = value.Length <= maxChars ? value : value[..maxChars];
        var text = new StringBuilder(shown.Length + 24);
        foreach (var c in shown)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                text.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        if (value.Length > maxChars)
        {
            text.Append("... (").Append(value.Length).Append(" characters)");
        }

        return text.ToString();
    }
}
