using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("*.json", "config.json", true)]
    [InlineData("*.json", "tokenizer/vocab.json", false)]
    [InlineData("**/*.json", "config.json", true)]
    [InlineData("**/*.json", "a/b/c/vocab.json", true)]
    [InlineData("**/*.json", "config.json.bak", false)]
    [InlineData("tokenizer/**", "tokenizer/vocab.json", true)]
    [InlineData("tokenizer/**", "tokenizer/deep/merges.txt", true)]
    [InlineData("tokenizer/**", "tokenizer", false)]
    [InlineData("tokenizer/**", "other/tokenizer/vocab.json", false)]
    [InlineData("a/**/b.txt", "a/b.txt", true)]
    [InlineData("a/**/b.txt", "a/x/y/b.txt", true)]
    [InlineData("a/**/b.txt", "ab.txt", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("model-?????-of-00002.safetensors", "model-00001-of-00002.safetensors", true)]
    [InlineData("model-?.bin", "model-/.bin", false)]
    [InlineData("*.gguf", "model.GGUF", false)]
    [InlineData("model.[ab]in", "model.bin", true)]
    [InlineData("model.[ab]in", "model.cin", false)]
    [InlineData("shard-[0-9].bin", "shard-7.bin", true)]
    [InlineData("shard-[!0-9].bin", "shard-7.bin", false)]
    [InlineData("shard-[!0-9].bin", "shard-x.bin", true)]
    [InlineData("weights (1).bin", "weights (1).bin", true)]
    [InlineData("a+b.txt", "aab.txt", false)]
    [InlineData("./README.md", "README.md", false)]
    public void A_pattern_matches_the_whole_relative_path(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(path));
    }

    // Found by the glob fuzz target: "**/" once matched any prefix, not just whole directories.
    [Theory]
    [InlineData("**/o.json", "co.json", false)]
    [InlineData("**/", "tok/vocab.json", false)]
    [InlineData("**/n", "modin", false)]
    [InlineData("**/n", "n", true)]
    [InlineData("**/n", "a/b/n", true)]
    [InlineData("**/aaaaaaaaa*.json", "caaaNaaaaaaaaaaaaaaaaaaaah.json", false)]
    [InlineData("**/**/n*", "/vooooodin", false)]
    [InlineData("**/o*/*n", "/voooooooo*o/oodin", false)]
    [InlineData("**/.json", "xM.jo.json", false)]
    [InlineData("x/**/y", "x/ay", false)]
    [InlineData("x/**/y", "x/a/b/y", true)]
    public void Double_star_slash_matches_whole_directories_only(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(path));
        Assert.Equal(expected, GlobReferenceMatcher.IsMatch(pattern, path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/abs/*.bin")]
    [InlineData("../secrets/*")]
    [InlineData("a/../b")]
    [InlineData("model.[ab")]
    [InlineData("model.]ab")]
    [InlineData("model.[]")]
    [InlineData("dir\\file")]
    public void An_invalid_pattern_is_a_format_error_naming_it(string pattern)
    {
        var error = Assert.Throws<FormatException>(() => GlobPattern.Parse(pattern));
        Assert.Contains($"'{pattern}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tokenizer/**", "tokenizer", true)]
    [InlineData("tokenizer/*", "tokenizer", true)]
    [InlineData("**/*.json", "tokenizer", false)]
    [InlineData("tok*", "tokenizer", true)]
    [InlineData("other/**", "tokenizer", false)]
    public void A_directory_matches_patterns_that_match_every_name_directly_inside_it(string pattern, string directory, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatchAsDirectory(directory));
    }
}
