namespace ModelCsi.Core.ModelPack;

/// <summary>One position of a compiled <see cref="GlobPattern"/>.</summary>
internal readonly struct GlobToken
{
    private readonly (char Low, char High)[]? _ranges;

    public GlobToken(GlobTokenKind kind, char literal = '\0')
    {
        Kind = kind;
        Low = literal;
    }

    public GlobToken(bool negated, (char Low, char High)[] ranges)
    {
        Kind = GlobTokenKind.Class;
        Negated = negated;
        _ranges = ranges;
    }

    public GlobTokenKind Kind { get; }

    /// <summary>The character a <see cref="GlobTokenKind.Literal"/> reads.</summary>
    public char Low { get; }

    public bool Negated { get; }

    public bool IsWildcard => Kind is GlobTokenKind.Star or GlobTokenKind.DoubleStar or GlobTokenKind.Directories;

    /// <summary>For a class: whether it accepts the character (never called with <c>/</c>).</summary>
    public bool Contains(char c)
    {
        var inSet = false;
        foreach (var (low, high) in _ranges!)
        {
            if (c >= low && c <= high)
            {
                inSet = true;
                break;
            }
        }

        return inSet != Negated;
    }
}
