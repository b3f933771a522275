using CsCheck;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Tests.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.Properties;

/// <summary>
/// <see cref="GlobPattern"/> (an automaton built for bounded memory) agrees with <see cref="GlobReferenceMatcher"/>
/// (the rules written as one regular expression) on generated patterns and paths.
/// </summary>
public sealed class GlobPropertyTests
{
    // Few letters, so that patterns and paths often line up; every glob metacharacter; '/' for segments.
    private static readonly Gen<string> Pattern = Gen.Char["ab./*?[]!-"].Array[1, 14].Select(chars => new string(chars));

    private static readonly Gen<string> Path = Gen.Char["ab./-!"].Array[0, 14].Select(chars => new string(chars));

    [Fact]
    public void Matching_agrees_with_the_reference_matcher()
    {
        Gen.Select(Pattern, Path.Array[1, 8]).Sample((text, paths) =>
        {
            GlobPattern pattern;
            try
            {
                pattern = GlobPattern.Parse(text);
            }
            catch (FormatException)
            {
                return;
            }

            foreach (var path in paths)
            {
                Assert.True(GlobReferenceMatcher.IsMatch(text, path) == pattern.IsMatch(path), $"'{text}' on '{path}'");
            }
        }, iter: 20_000);
    }

    [Fact]
    public void A_directory_matches_exactly_when_the_pattern_takes_some_name_inside_it()
    {
        Gen.Select(Pattern, Path).Sample((text, path) =>
        {
            GlobPattern pattern;
            try
            {
                pattern = GlobPattern.Parse(text);
            }
            catch (FormatException)
            {
                return;
            }

            var expected = GlobReferenceMatcher.IsMatch(text, path) || GlobReferenceMatcher.IsMatch(text, path.TrimEnd('/') + "/\u0001");
            Assert.True(expected == pattern.IsMatchAsDirectory(path), $"'{text}' on directory '{path}'");
        }, iter: 20_000);
    }

    [Fact]
    public void A_pattern_without_wildcards_matches_only_itself()
    {
        Gen.Char["ab./-"].Array[1, 12].Select(chars => new string(chars)).Sample(text =>
        {
            GlobPattern pattern;
            try
            {
                pattern = GlobPattern.Parse(text);
            }
            catch (FormatException)
            {
                return;
            }

            Assert.True(pattern.IsMatch(pattern.Text));
            Assert.False(pattern.IsMatch(pattern.Text + "a"));
        }, iter: 5_000);
    }
}
