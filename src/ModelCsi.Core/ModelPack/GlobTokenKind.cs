namespace ModelCsi.Core.ModelPack;

/// <summary>What one position of a compiled <see cref="GlobPattern"/> reads.</summary>
internal enum GlobTokenKind : byte
{
    /// <summary>One given character.</summary>
    Literal,

    /// <summary><c>?</c>: one character other than <c>/</c>.</summary>
    AnyChar,

    /// <summary><c>[...]</c>: one character other than <c>/</c> in (or, negated, not in) a set.</summary>
    Class,

    /// <summary><c>*</c>: any run of characters other than <c>/</c>.</summary>
    Star,

    /// <summary><c>**</c> not followed by <c>/</c>: any run of characters.</summary>
    DoubleStar,

    /// <summary><c>**/</c> at the start of a segment: nothing, or any run of characters ending in <c>/</c>.</summary>
    Directories,
}
