using System.Text;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Tests.ModelPack;

namespace ModelCsi.Fuzz;

/// <summary>
/// First line: a pattern; following lines: paths. The pattern is refused with <see cref="FormatException"/> or
/// matches every path exactly as the reference matcher does.
/// </summary>
internal static class GlobTarget
{
    public static void Run(Stream input)
    {
        var lines = Encoding.UTF8.GetString(FuzzTargets.ReadAll(input, 16 << 10)).Split('\n');
        GlobPattern pattern;
        try
        {
            pattern = GlobPattern.Parse(lines[0]);
        }
        catch (FormatException e)
        {
            if (e.Message.Length > 512)
            {
                throw FuzzTargets.Violated($"error message of {e.Message.Length} characters");
            }

            return;
        }

        foreach (var path in lines.Skip(1).Take(16))
        {
            var expected = GlobReferenceMatcher.IsMatch(lines[0], path);
            if (pattern.IsMatch(path) != expected)
            {
                throw FuzzTargets.Violated($"'{pattern}' on '{path}': reference says {expected}");
            }

            _ = pattern.IsMatchAsDirectory(path);
        }
    }
}
