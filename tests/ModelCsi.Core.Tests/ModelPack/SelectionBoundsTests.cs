using System.Text.Json;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Pod-supplied patterns are bounded before use and matched without per-pattern regex compilation
/// (2,000 patterns of 58 KB used to take the driver from 145 MB to 1.5 GB).
/// </summary>
public sealed class SelectionBoundsTests
{
    private const int MaxErrorLength = 400;

    private static FormatException RejectedAttributes(string key, string value)
    {
        var error = Assert.Throws<FormatException>(() => LayerSelection.FromAttributes(new Dictionary<string, string> { [key] = value }));
        Assert.True(error.Message.Length < MaxErrorLength, $"message of {error.Message.Length} characters");
        return error;
    }

    [Fact]
    public void The_findings_two_thousand_include_patterns_are_rejected_without_compiling_them()
    {
        var patterns = Enumerable.Range(0, 2_000).Select(i => $"dir{i:D5}/**/shard-*-{i}.bin").ToList();
        var json = JsonSerializer.Serialize(patterns);
        Assert.InRange(json.Length, 50_000, 65_536);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = RejectedAttributes(LayerSelection.IncludePatternsKey, json);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("2000 patterns", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Twenty_thousand_patterns_are_rejected_before_anything_is_parsed()
    {
        var json = JsonSerializer.Serialize(Enumerable.Range(0, 20_000).Select(i => $"a{i}/**/*.bin"));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = RejectedAttributes(LayerSelection.ExcludePatternsKey, json);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"at most {LayerSelection.MaxTotalChars}", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void More_than_the_maximum_number_of_patterns_is_rejected_by_the_constructor_too()
    {
        var patterns = Enumerable.Range(0, LayerSelection.MaxPatterns + 1).Select(i => $"{i}.bin").ToList();

        var error = Assert.Throws<FormatException>(() => new LayerSelection(patterns, [], excludeWeights: false));

        Assert.Contains($"at most {LayerSelection.MaxPatterns}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_megabyte_attribute_value_is_rejected_with_a_short_message_that_does_not_echo_it()
    {
        var value = new string('x', 1 << 20);

        var error = RejectedAttributes(LayerSelection.IncludePatternsKey, value);

        Assert.DoesNotContain(new string('x', 100), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pattern_longer_than_the_maximum_is_rejected_with_an_excerpt_of_it()
    {
        var pattern = "weights/" + new string('a', GlobPattern.MaxLength);

        var error = Assert.Throws<FormatException>(() => GlobPattern.Parse(pattern));

        Assert.Contains($"at most {GlobPattern.MaxLength}", error.Message, StringComparison.Ordinal);
        Assert.Contains("weights/aaa", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < MaxErrorLength, error.Message);
    }

    [Fact]
    public void A_pattern_with_more_wildcards_than_the_maximum_is_rejected()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", GlobPattern.MaxWildcards + 1));

        var error = Assert.Throws<FormatException>(() => GlobPattern.Parse(pattern));

        Assert.Contains($"more than {GlobPattern.MaxWildcards}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_a_rejected_value_do_not_reach_the_message()
    {
        var error = RejectedAttributes(LayerSelection.ExcludeWeightsKey, "yes\r\nlevel=error forged");

        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
    }

    [Fact]
    public void A_reversed_bracket_range_is_a_format_error()
    {
        var error = Assert.Throws<FormatException>(() => GlobPattern.Parse("shard-[9-0].bin"));

        Assert.Contains("reversed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pattern_built_to_backtrack_fails_to_match_a_long_path_in_one_pass()
    {
        var pattern = GlobPattern.Parse(string.Concat(Enumerable.Repeat("**a", GlobPattern.MaxWildcards)) + "b");
        var path = new string('a', 4096);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var matched = pattern.IsMatch(path) || pattern.IsMatchAsDirectory(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(matched);
        Assert.True(allocated < 64 << 10, $"allocated {allocated} bytes");
    }

    [Fact]
    public void The_maximum_selection_matches_ten_thousand_layers_in_bounded_memory()
    {
        // 256 patterns of 250 characters (64,000 in all), many wildcards each, padded out by a long bracket class.
        var include = Enumerable.Range(0, LayerSelection.MaxPatterns / 2)
            .Select(i => Padded($"**/*s*h*a*r*d*-{i:D3}-*-*o*f*-*.safetensor[s", 250)).ToList();
        var exclude = Enumerable.Range(0, LayerSelection.MaxPatterns / 2)
            .Select(i => Padded($"**/*-{i:D3}-*.tm[p", 250)).ToList();
        Assert.True(include.Concat(exclude).Sum(p => p.Length) <= LayerSelection.MaxTotalChars);
        var layers = Enumerable.Range(0, 10_000).Select(i => new OciDescriptor
        {
            MediaType = i % 2 == 0 ? "application/vnd.cncf.model.weight.v1.raw" : "application/vnd.cncf.model.weight.v1.tar",
            Digest = Digest.Of(BitConverter.GetBytes(i)),
            Size = 1,
            Annotations = new Dictionary<string, string>
            {
                [ModelPackAnnotations.CncfFilePath] = $"layers/{i % 97}/shard-{i % 200:D3}-{i}-of-10000.safetensors",
            },
        }).ToList();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var selection = new LayerSelection(include, exclude, excludeWeights: false);
        var selected = layers.Count(selection.Selects);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Shards 000-127 are included; 128-199 are not.
        Assert.Equal(layers.Count * 128 / 200, selected);
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes");
    }

    /// <summary>Closes the bracket class a pattern ends in after filling it up to <paramref name="length"/> characters.</summary>
    private static string Padded(string pattern, int length) =>
        pattern + new string('q', length - pattern.Length - 1) + "]";
}
