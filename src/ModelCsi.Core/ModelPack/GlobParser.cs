namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Checks a glob's text and turns it into tokens for <see cref="GlobPattern"/>: the bounds and the rules a
/// pattern must meet are enforced here, before any matching, and every refusal names (an excerpt of) the pattern.
/// </summary>
internal static class GlobParser
{
    public static (string Text, GlobToken[] Tokens) Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length > GlobPattern.MaxLength)
        {
            throw Invalid(pattern, $"it is {pattern.Length} characters long (at most {GlobPattern.MaxLength} allowed)");
        }

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

        return (text, Tokenize(pattern, text));
    }

    private static GlobToken[] Tokenize(string original, string text)
    {
        var tokens = new List<GlobToken>(text.Length);
        var wildcards = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '*':
                    if (++wildcards > GlobPattern.MaxWildcards)
                    {
                        throw Invalid(original, $"it has more than {GlobPattern.MaxWildcards} '*' or '**' wildcards");
                    }

                    if (i + 1 < text.Length && text[i + 1] == '*')
                    {
                        var atSegmentStart = i == 0 || text[i - 1] == '/';
                        if (atSegmentStart && i + 2 < text.Length && text[i + 2] == '/')
                        {
                            // "**/" is zero or more whole directories.
                            tokens.Add(new GlobToken(GlobTokenKind.Directories));
                            i += 2;
                        }
                        else
                        {
                            tokens.Add(new GlobToken(GlobTokenKind.DoubleStar));
                            while (i + 1 < text.Length && text[i + 1] == '*')
                            {
                                i++;
                            }
                        }
                    }
                    else
                    {
                        tokens.Add(new GlobToken(GlobTokenKind.Star));
                    }

                    break;
                case '?':
                    tokens.Add(new GlobToken(GlobTokenKind.AnyChar));
                    break;
                case '[':
                    i = AddClass(original, text, i, tokens);
                    break;
                case ']':
                    throw Invalid(original, $"']' at position {i + 1} closes no '['");
                default:
                    tokens.Add(new GlobToken(GlobTokenKind.Literal, c));
                    break;
            }
        }

        return [.. tokens];
    }

    /// <returns>The index of the closing bracket.</returns>
    private static int AddClass(string original, string text, int open, List<GlobToken> tokens)
    {
        var i = open + 1;
        var negated = i < text.Length && text[i] == '!';
        if (negated)
        {
            i++;
        }

        var ranges = new List<(char Low, char High)>();
        var previousWasSingle = false;
        for (; i < text.Length && text[i] != ']'; i++)
        {
            var c = text[i];
            if (c is '[' or '/')
            {
                throw Invalid(original, $"'{c}' inside the bracket opened at position {open + 1}");
            }

            // '-' between two characters is a range; first, last or right after a range it is literal.
            if (c == '-' && previousWasSingle && i + 1 < text.Length && text[i + 1] != ']')
            {
                var high = text[++i];
                if (high is '[' or '/')
                {
                    throw Invalid(original, $"'{high}' inside the bracket opened at position {open + 1}");
                }

                var low = ranges[^1].Low;
                if (high < low)
                {
                    throw Invalid(original, $"the range '{low}-{high}' in the bracket at position {open + 1} is reversed");
                }

                ranges[^1] = (low, high);
                previousWasSingle = false;
                continue;
            }

            ranges.Add((c, c));
            previousWasSingle = true;
        }

        if (i >= text.Length)
        {
            throw Invalid(original, $"the '[' at position {open + 1} is never closed");
        }

        if (ranges.Count == 0)
        {
            throw Invalid(original, $"the bracket at position {open + 1} is empty");
        }

        tokens.Add(new GlobToken(negated, Merged(ranges)));
        return i;
    }

    /// <summary>Sorted, overlapping and adjacent ranges joined: a class of a thousand members costs what its distinct ranges cost.</summary>
    private static (char Low, char High)[] Merged(List<(char Low, char High)> ranges)
    {
        ranges.Sort();
        var merged = new List<(char Low, char High)> { ranges[0] };
        foreach (var (low, high) in ranges.Skip(1))
        {
            var last = merged[^1];
            if (low <= last.High + 1)
            {
                merged[^1] = (last.Low, (char)Math.Max(last.High, high));
            }
            else
            {
                merged.Add((low, high));
            }
        }

        return [.. merged];
    }

    private static FormatException Invalid(string pattern, string why) => new($"invalid file pattern '{ValueExcerpt.Of(pattern)}': {why}");
}
