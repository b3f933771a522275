using System.Text;
using System.Text.RegularExpressions;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A glob matched against a whole relative path with <c>/</c> separators: <c>*</c> and <c>?</c> stay within one
/// path segment, <c>**</c> spans segments (<c>**/</c> also matches no directory at all), <c>[abc]</c>, <c>[a-z]</c>
/// and <c>[!abc]</c> match one character of a segment. Matching is case-sensitive, like the file systems models land on.
/// </summary>
public sealed class GlobPattern
{
    // Layer paths never contain it, so it stands for "some name inside this directory" when a directory layer is tested.
    private const string AnyChildName = "\u0001";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;

    private GlobPattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Compiles a pattern.</summary>
    /// <exception cref="FormatException">The pattern is empty, absolute, climbs out with <c>..</c>, or has an unbalanced bracket; the message names it.</exception>
    public static GlobPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var text = pattern.Trim();
        if (text.Length == 0)
        {
            throw Invalid(pattern, "it is empty");
        }

        if (text.StartsWith('/'))
        {
            throw Invalid(pattern, "paths in a model are relative; drop the leading '/'");
        }

        if (text.Contains('\\', StringComparison.Ordinal))
        {
            throw Invalid(pattern, "use '/' as the path separator; '\\' is not supported");
        }

        if (text.Split('/').Any(segment => segment == ".."))
        {
            throw Invalid(pattern, "'..' cannot match anything inside a model");
        }

        return new GlobPattern(text, new Regex(Translate(pattern, text), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout));
    }

    /// <summary>True when the pattern matches the whole relative path.</summary>
    public bool IsMatch(string path) => _regex.IsMatch(path);

    /// <summary>
    /// True when the pattern matches the path, or matches every name directly inside it taken as a directory
    /// (<c>dir/**</c>, <c>dir/*</c> for <c>dir</c>): how a tar layer whose path is a directory is judged, since its
    /// entries are unknown until it is downloaded.
    /// </summary>
    public bool IsMatchAsDirectory(string path) => IsMatch(path) || IsMatch(path.TrimEnd('/') + "/" + AnyChildName);

    public override string ToString() => Text;

    private static string Translate(string original, string text)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '*' when i + 1 < text.Length && text[i + 1] == '*':
                    var atSegmentStart = i == 0 || text[i - 1] == '/';
                    if (atSegmentStart && i + 2 < text.Length && text[i + 2] == '/')
                    {
                        // "**/" is zero or more whole directories.
                        regex.Append("(?:.*/)?");
                        i += 2;
                    }
                    else
                    {
                        regex.Append(".*");
                        i++;
                        while (i + 1 < text.Length && text[i + 1] == '*')
                        {
                            i++;
                        }
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    i = AppendClass(original, text, i, regex);
                    break;
                case ']':
                    throw Invalid(original, $"']' at position {i + 1} closes no '['");
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }

    /// <returns>The index of the closing bracket.</returns>
    private static int AppendClass(string original, string text, int open, StringBuilder regex)
    {
        var i = open + 1;
        var negated = i < text.Length && text[i] == '!';
        if (negated)
        {
            i++;
        }

        var members = new StringBuilder();
        for (; i < text.Length && text[i] != ']'; i++)
        {
            var c = text[i];
            if (c is '[' or '/')
            {
                throw Invalid(original, $"'{c}' inside the bracket opened at position {open + 1}");
            }

            // '-' between two characters is a range; everything else is literal.
            var isRange = c == '-' && members.Length > 0 && i + 1 < text.Length && text[i + 1] != ']';
            members.Append(isRange ? "-" : c is '\\' or '^' or '-' ? "\\" + c : c.ToString());
        }

        if (i >= text.Length)
        {
            throw Invalid(original, $"the '[' at position {open + 1} is never closed");
        }

        if (members.Length == 0)
        {
            throw Invalid(original, $"the bracket at position {open + 1} is empty");
        }

        regex.Append('[').Append(negated ? "^/" : "").Append(members).Append(']');
        return i;
    }

    private static FormatException Invalid(string pattern, string why) => new($"invalid file pattern '{pattern}': {why}");
}
