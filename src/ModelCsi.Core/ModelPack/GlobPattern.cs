namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A glob matched against a whole relative path with <c>/</c> separators: <c>*</c> and <c>?</c> stay within one
/// path segment, <c>**</c> spans segments (<c>**/</c> also matches no directory at all), <c>[abc]</c>, <c>[a-z]</c>
/// and <c>[!abc]</c> match one character of a segment. Matching is case-sensitive, like the file systems models land on.
/// </summary>
/// <remarks>
/// Patterns come from pods and StorageClasses, so they are bounded (<see cref="MaxLength"/>,
/// <see cref="MaxWildcards"/>) and matched by simulating the pattern's automaton over the path, one pass with
/// at most one live thread per pattern position: time is O(path × pattern) at worst, memory a few stack buffers.
/// Compiling each pattern to a <see cref="System.Text.RegularExpressions.Regex"/> cost ~0.7 MB per pattern.
/// </remarks>
public sealed class GlobPattern
{
    /// <summary>Most characters in one pattern.</summary>
    public const int MaxLength = 1024;

    /// <summary>Most <c>*</c> / <c>**</c> wildcards in one pattern.</summary>
    public const int MaxWildcards = 16;

    // Layer paths never contain it, so it stands for "some name inside this directory" when a directory layer is tested.
    private const string AnyChildName = "/\u0001";

    // Patterns of up to 1024 tokens and paths up to this many characters are matched with stack buffers only.
    private const int StackStates = 2100;

    private readonly GlobToken[] _tokens;

    // Tokens [0, _literalPrefix) are literals; a path not starting with them cannot match.
    private readonly int _literalPrefix;

    // The last _fixedSuffix tokens each read exactly one character; a path whose end they reject cannot match.
    private readonly int _fixedSuffix;

    // Runs of literal characters in pattern order; a path that does not hold them in that order cannot match.
    // Checked with vectorised IndexOf before the automaton runs, this rejects most paths in one quick scan.
    private readonly string[] _literalRuns;

    private GlobPattern(string text, GlobToken[] tokens)
    {
        Text = text;
        _tokens = tokens;
        while (_literalPrefix < tokens.Length && tokens[_literalPrefix].Kind == GlobTokenKind.Literal)
        {
            _literalPrefix++;
        }

        while (_fixedSuffix < tokens.Length - _literalPrefix && !tokens[tokens.Length - 1 - _fixedSuffix].IsWildcard)
        {
            _fixedSuffix++;
        }

        var runs = new List<string>();
        var run = new System.Text.StringBuilder();
        for (var i = _literalPrefix; i < tokens.Length; i++)
        {
            if (tokens[i].Kind == GlobTokenKind.Literal)
            {
                run.Append(tokens[i].Low);
                continue;
            }

            if (run.Length > 0)
            {
                runs.Add(run.ToString());
                run.Clear();
            }
        }

        if (run.Length > 0)
        {
            runs.Add(run.ToString());
        }

        _literalRuns = [.. runs];
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Compiles a pattern.</summary>
    /// <exception cref="FormatException">
    /// The pattern is empty, too long, has too many wildcards, is absolute, climbs out with <c>..</c>, or has a bad
    /// bracket; the message names (an excerpt of) it.
    /// </exception>
    public static GlobPattern Parse(string pattern)
    {
        var (text, tokens) = GlobParser.Parse(pattern);
        return new GlobPattern(text, tokens);
    }

    /// <summary>True when the pattern matches the whole relative path.</summary>
    public bool IsMatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Match(path);
    }

    /// <summary>
    /// True when the pattern matches the path, or matches every name directly inside it taken as a directory
    /// (<c>dir/**</c>, <c>dir/*</c> for <c>dir</c>): how a tar layer whose path is a directory is judged, since its
    /// entries are unknown until it is downloaded.
    /// </summary>
    public bool IsMatchAsDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Match(path))
        {
            return true;
        }

        var directory = path.AsSpan().TrimEnd('/');
        var length = directory.Length + AnyChildName.Length;
        var child = length <= StackStates ? stackalloc char[length] : new char[length];
        directory.CopyTo(child);
        AnyChildName.CopyTo(child[directory.Length..]);
        return Match(child);
    }

    public override string ToString() => Text;

    private bool Match(ReadOnlySpan<char> path)
    {
        var length = path.Length;
        if (length < _literalPrefix + _fixedSuffix || (_literalPrefix == _tokens.Length && length != _tokens.Length))
        {
            return false;
        }

        for (var i = 0; i < _literalPrefix; i++)
        {
            if (path[i] != _tokens[i].Low)
            {
                return false;
            }
        }

        for (var k = 1; k <= _fixedSuffix; k++)
        {
            if (!Reads(_tokens[^k], path[length - k]))
            {
                return false;
            }
        }

        var from = _literalPrefix;
        foreach (var run in _literalRuns)
        {
            var at = path[from..].IndexOf(run, StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            from += at + run.Length;
        }

        // States 0..n are "before token s" (n: matched); n + 1 + s is "inside" the "**/" at s, which, having read
        // something, can only leave through a '/' (unlike the state before it, which may also skip it entirely).
        var states = (2 * _tokens.Length) + 2;
        var current = states <= StackStates ? stackalloc int[states] : new int[states];
        var next = states <= StackStates ? stackalloc int[states] : new int[states];
        // added[s] == step + 1 when state s is already in the list being built for that step.
        var added = states <= StackStates ? stackalloc int[states] : new int[states];
        added.Clear();

        var count = Add(current, 0, _literalPrefix, added, 1);
        for (var i = _literalPrefix; i < length && count > 0; i++)
        {
            var c = path[i];
            var stamp = i + 2;
            var nextCount = 0;
            for (var k = 0; k < count; k++)
            {
                var s = current[k];
                if (s == _tokens.Length)
                {
                    continue;
                }

                if (s > _tokens.Length)
                {
                    nextCount = Add(next, nextCount, s, added, stamp);
                    if (c == '/')
                    {
                        nextCount = Add(next, nextCount, s - _tokens.Length, added, stamp);
                    }

                    continue;
                }

                ref readonly var token = ref _tokens[s];
                switch (token.Kind)
                {
                    case GlobTokenKind.Literal when c == token.Low:
                    case GlobTokenKind.AnyChar when c != '/':
                    case GlobTokenKind.Class when c != '/' && token.Contains(c):
                        nextCount = Add(next, nextCount, s + 1, added, stamp);
                        break;
                    case GlobTokenKind.Star when c != '/':
                    case GlobTokenKind.DoubleStar:
                        nextCount = Add(next, nextCount, s, added, stamp);
                        break;
                    case GlobTokenKind.Directories:
                        nextCount = Add(next, nextCount, s + _tokens.Length + 1, added, stamp);
                        if (c == '/')
                        {
                            nextCount = Add(next, nextCount, s + 1, added, stamp);
                        }

                        break;
                }
            }

            var swap = current;
            current = next;
            next = swap;
            count = nextCount;
        }

        for (var k = 0; k < count; k++)
        {
            if (current[k] == _tokens.Length)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds a state and every state reachable from it without reading a character (past wildcards).</summary>
    private int Add(Span<int> list, int count, int state, Span<int> added, int stamp)
    {
        while (true)
        {
            if (added[state] == stamp)
            {
                return count;
            }

            added[state] = stamp;
            list[count++] = state;
            if (state >= _tokens.Length || !_tokens[state].IsWildcard)
            {
                return count;
            }

            state++;
        }
    }

    /// <summary>Whether a single-character token reads <paramref name="c"/>.</summary>
    private static bool Reads(in GlobToken token, char c) => token.Kind switch
    {
        GlobTokenKind.Literal => c == token.Low,
        GlobTokenKind.AnyChar => c != '/',
        GlobTokenKind.Class => c != '/' && token.Contains(c),
        _ => true,
    };
}
