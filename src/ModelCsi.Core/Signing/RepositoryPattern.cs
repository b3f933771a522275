using System.Text;
using System.Text.RegularExpressions;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Matches <c>host[:port]/repository</c> names: <c>*</c> stays within one path component, <c>**</c> spans
/// components. The host part is compared case-insensitively (DNS), the repository exactly (it is lowercase).
/// </summary>
public sealed class RepositoryPattern
{
    private const int MaxLength = 512;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex _regex;

    private RepositoryPattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    public string Text { get; }

    /// <exception cref="FormatException">The pattern is empty, too long, or names no repository part.</exception>
    public static RepositoryPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var text = pattern.Trim();
        if (text.Length == 0 || text.Length > MaxLength)
        {
            throw new FormatException($"repository pattern '{pattern}' must have 1 to {MaxLength} characters");
        }

        if (text.Contains("://", StringComparison.Ordinal) || text.Contains('@', StringComparison.Ordinal))
        {
            throw new FormatException($"repository pattern '{pattern}' must be host[:port]/repository, without scheme, tag or digest");
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1)
        {
            throw new FormatException($"repository pattern '{pattern}' must be host[:port]/repository, e.g. registry.example.com/models/**");
        }

        text = text[..slash].ToLowerInvariant() + text[slash..];
        var regex = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '*')
            {
                regex.Append(Regex.Escape(text[i].ToString()));
            }
            else if (i + 1 < text.Length && text[i + 1] == '*')
            {
                regex.Append(".*");
                i++;
            }
            else
            {
                regex.Append("[^/]*");
            }
        }

        regex.Append('$');
        return new RepositoryPattern(text, new Regex(regex.ToString(), RegexOptions.CultureInvariant, MatchTimeout));
    }

    /// <summary>True when <paramref name="host"/>/<paramref name="repository"/> matches.</summary>
    public bool Matches(string host, string repository) => _regex.IsMatch(host.ToLowerInvariant() + "/" + repository);

    public override string ToString() => Text;
}
