using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class LayerSelectionTests
{
    private static OciDescriptor Layer(string mediaType, string? path, string annotation = ModelPackAnnotations.CncfFilePath) => new()
    {
        MediaType = mediaType,
        Digest = Digest.Of(System.Text.Encoding.UTF8.GetBytes(mediaType + path)),
        Size = 1,
        Annotations = path is null ? null : new Dictionary<string, string> { [annotation] = path },
    };

    private static LayerSelection Parse(params (string Key, string Value)[] attributes) =>
        LayerSelection.FromAttributes(attributes.ToDictionary(a => a.Key, a => a.Value))
        ?? throw new InvalidOperationException("no selection");

    [Fact]
    public void No_selection_attributes_mean_the_whole_model()
    {
        Assert.Null(LayerSelection.FromAttributes(new Dictionary<string, string> { ["modelRef"] = "r/m:1", ["excludeWeights"] = "false" }));
    }

    [Fact]
    public void Pattern_lists_are_read_as_a_json_array()
    {
        var selection = Parse(("includePatterns", """["*.json", "tokenizer/**"]"""));

        Assert.Equal(["*.json", "tokenizer/**"], selection.Include);
        Assert.Empty(selection.Exclude);
        Assert.False(selection.ExcludeWeights);
    }

    [Fact]
    public void Pattern_lists_are_read_as_a_comma_list_with_spaces_trimmed()
    {
        var selection = Parse(("excludePatterns", " *.gguf , docs/** ,"));

        Assert.Equal(["*.gguf", "docs/**"], selection.Exclude);
    }

    [Fact]
    public void The_reference_drivers_keys_are_read_too()
    {
        var selection = Parse(
            (LayerSelection.ReferenceExcludeWeightsKey, "TRUE"),
            (LayerSelection.ReferenceExcludePatternsKey, """["*.md"]"""),
            ("excludePatterns", "*.txt"));

        Assert.True(selection.ExcludeWeights);
        Assert.Equal(["*.md", "*.txt"], selection.Exclude);
    }

    [Theory]
    [InlineData("includePatterns", "")]
    [InlineData("includePatterns", "[]")]
    [InlineData("excludePatterns", " , ")]
    [InlineData("excludePatterns", "[\"*.md\", 3]")]
    [InlineData("excludePatterns", "[\"*.md\"")]
    [InlineData("includePatterns", "/abs/*.bin")]
    [InlineData("includePatterns", "[\"ok/*\", \"../up\"]")]
    [InlineData("excludeWeights", "yes")]
    [InlineData(LayerSelection.ReferenceExcludeWeightsKey, "")]
    [InlineData(LayerSelection.ReferenceExcludePatternsKey, "model.[bin")]
    public void An_empty_or_invalid_value_is_a_format_error_naming_the_key_and_the_value(string key, string value)
    {
        var error = Assert.Throws<FormatException>(() => LayerSelection.FromAttributes(new Dictionary<string, string> { [key] = value }));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/vnd.cncf.model.weight.v1.raw", true)]
    [InlineData("application/vnd.cnai.model.weight.v1.tar", true)]
    [InlineData("application/vnd.kitops.modelkit.model.v1.tar", true)]
    [InlineData("application/vnd.kitops.modelkit.modelpart.v1.tar+gzip", true)]
    [InlineData("application/vnd.cncf.model.weight.config.v1.raw", false)]
    [InlineData("application/vnd.cncf.model.doc.v1.raw", false)]
    [InlineData("application/vnd.cncf.model.code.v1.tar", false)]
    [InlineData("application/vnd.oci.image.layer.v1.tar", false)]
    public void Excluding_weights_goes_by_the_media_type_kind_not_the_file_name(string mediaType, bool isWeight)
    {
        var selection = Parse(("excludeWeights", "true"));

        // Names chosen to mislead a guess from file names.
        Assert.Equal(!isWeight, selection.Selects(Layer(mediaType, "tiktoken.model")));
        Assert.Equal(!isWeight, selection.Selects(Layer(mediaType, "config.json")));
    }

    [Fact]
    public void Include_and_exclude_patterns_combine_on_the_layer_path_from_any_path_annotation()
    {
        var selection = Parse(("includePatterns", "*.json,tokenizer/**"), ("excludePatterns", "tokenizer/merges.txt"));
        const string raw = "application/vnd.cncf.model.weight.config.v1.raw";

        Assert.True(selection.Selects(Layer(raw, "config.json")));
        Assert.True(selection.Selects(Layer(raw, "config.json", ModelPackAnnotations.CnaiFilePath)));
        Assert.True(selection.Selects(Layer(raw, "config.json", ModelPackAnnotations.ImageTitle)));
        Assert.True(selection.Selects(Layer(raw, "tokenizer/vocab.txt")));
        Assert.False(selection.Selects(Layer(raw, "tokenizer/merges.txt")));
        Assert.False(selection.Selects(Layer(raw, "model.safetensors")));
        Assert.False(selection.Selects(Layer(raw, null)));
    }

    [Fact]
    public void A_tar_layer_holding_a_directory_is_matched_by_patterns_for_what_is_inside_it()
    {
        var include = Parse(("includePatterns", "tokenizer/**"));
        var exclude = Parse(("excludePatterns", "docs/*"));

        Assert.True(include.Selects(Layer("application/vnd.cncf.model.weight.config.v1.tar", "tokenizer")));
        Assert.False(include.Selects(Layer("application/vnd.cncf.model.weight.config.v1.raw", "tokenizer")));
        Assert.False(exclude.Selects(Layer("application/vnd.kitops.modelkit.docs.v1.tar", "docs")));
        Assert.True(exclude.Selects(Layer("application/vnd.kitops.modelkit.docs.v1.tar", "documentation")));
    }

    [Fact]
    public void The_cache_key_depends_on_what_is_selected_not_on_how_it_was_written()
    {
        var a = Parse(("includePatterns", "b/**, a/*"), ("excludeWeights", "true"));
        var b = Parse(("includePatterns", """["a/*", "b/**", "a/*"]"""), (LayerSelection.ReferenceExcludeWeightsKey, "true"));
        var c = Parse(("includePatterns", "a/*, b/**"));
        var d = Parse(("excludePatterns", "a/*, b/**"));

        Assert.Equal(a.CacheKey, b.CacheKey);
        Assert.NotEqual(a.CacheKey, c.CacheKey);
        Assert.NotEqual(c.CacheKey, d.CacheKey);
        Assert.Matches("^[0-9a-f]{16}$", a.CacheKey);
    }

    [Fact]
    public void A_selection_survives_a_json_round_trip_with_the_same_key()
    {
        var selection = Parse(("includePatterns", "*.json"), ("excludePatterns", "x/**"), ("excludeWeights", "true"));

        var read = System.Text.Json.JsonSerializer.Deserialize<LayerSelection>(System.Text.Json.JsonSerializer.Serialize(selection))!;

        Assert.Equal(selection.CacheKey, read.CacheKey);
        Assert.Equal(selection.Include, read.Include);
        Assert.True(read.ExcludeWeights);
    }
}
