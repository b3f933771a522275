using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// The documented glob rules written the obvious way, as a regular expression per pattern: too slow and too
/// memory-hungry for pod input (one compiled regex per pattern), but easy to check by eye. Property tests and the
/// fuzzer compare <c>GlobPattern</c> against it. Only call it for patterns <c>GlobPattern.Parse</c> accepted.
/// </summary>
internal static class GlobReferenceMatcher
{
    public static bool IsMatch(string pattern, string path) =>
        new Regex(Translate(pattern.Trim()), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking).IsMatch(path);

    private static string Translate(string text)
    {
        var regex = new StringBuilder(@"\A");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '*' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var atSegmentStart = i == 0 || text[i - 1] == '/';
                if (atSegmentStart && i + 2 < text.Length && text[i + 2] == '/')
                {
                    regex.Append("(?:.*/)?");
                    i += 2;
                    continue;
                }

                while (i + 1 < text.Length && text[i + 1] == '*')
                {
                    i++;
                }

                regex.Append(".*");
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '[')
            {
                i = AppendClass(text, i, regex);
            }
            else
            {
                regex.Append(Char(c));
            }
        }

        // (?s): '.' is any character, newline included; \z: the very end, not before a final newline.
        return "(?s)" + regex.Append(@"\z");
    }

    private static int AppendClass(string text, int open, StringBuilder regex)
    {
        var i = open + 1;
        var negated = text[i] == '!';
        if (negated)
        {
            i++;
        }

        regex.Append(negated ? "[^/" : "[");
        var previousWasSingle = false;
        for (; text[i] != ']'; i++)
        {
            // '-' between two characters is a range; first, last or right after a range it is literal.
            if (text[i] == '-' && previousWasSingle && text[i + 1] != ']')
            {
                regex.Append('-').Append(Char(text[++i]));
                previousWasSingle = false;
                continue;
            }

            regex.Append(Char(text[i]));
            previousWasSingle = true;
        }

        // A class matches one character of a segment: never '/', even inside a range such as [--b].
        regex.Append(negated ? "]" : "-[/]]");
        return i;
    }

    private static string Char(char c) => @"\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
}
