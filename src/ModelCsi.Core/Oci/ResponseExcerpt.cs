using System.Globalization;
using System.Text;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Text a remote server chose (error messages, reason phrases, header values) made safe to put in an
/// exception message or a log line: control characters escaped and the length bounded, so a hostile
/// registry can neither forge log lines nor push megabytes into CSI errors.
/// </summary>
internal static class ResponseExcerpt
{
    public const int MaxLength = 200;

    public static string Sanitise(string? text, int maxLength = MaxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 8);
        foreach (var c in text)
        {
            if (builder.Length >= maxLength)
            {
                return builder.Append('…').ToString();
            }

            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' =>
                    builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }
}
