using System.Text.RegularExpressions;

namespace ModelCsi.Driver.Dynamic;

/// <summary>The names a pod may give its mounts: one path component, never "." or "..", never a hidden staging name.</summary>
internal static partial class DynamicMountName
{
    public const string Pattern = "^[a-zA-Z0-9_.-]{1,63}$";

    public static bool IsValid(string? name) =>
        name is not null && NamePattern().IsMatch(name) && name is not "." and not "..";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
