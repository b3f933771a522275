using System.Text;
using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class ModelConfigTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("")]
    [InlineData("{\"descriptor\":{}}")]
    [InlineData("{\"unknown\":{\"x\":1},\"config\":{}}")]
    public void Sparse_configs_parse(string json)
    {
        var config = ModelPackJson.ReadConfig(Encoding.UTF8.GetBytes(json));

        Assert.Empty(config.ModelFs?.AllDiffIds ?? []);
    }

    [Fact]
    public void A_full_cncf_config_is_read()
    {
        var json = """
            {"descriptor":{"name":"llama","version":"3.2","family":"llama3","vendor":"meta","authors":["a"],
              "createdAt":"2025-01-01T00:00:00Z","licenses":["Apache-2.0"],"title":"t","description":"d",
              "docURL":"https://d","sourceURL":"https://s","revision":"abc"},
             "config":{"architecture":"transformer","format":"safetensors","paramSize":"1B","precision":"bf16",
              "quantization":"awq","capabilities":{"inputTypes":["text"],"reasoning":true}},
             "modelfs":{"type":"layers","diffIds":["sha256:aa"]}}
            """;

        var config = ModelPackJson.ReadConfig(Encoding.UTF8.GetBytes(json));

        Assert.Equal("llama", config.Descriptor?.Name);
        Assert.Equal("https://d", config.Descriptor?.DocUrl);
        Assert.Equal("https://s", config.Descriptor?.SourceUrl);
        Assert.Equal("1B", config.Config?.ParamSize);
        Assert.True(config.Config?.Capabilities?.Reasoning);
        Assert.Equal(["sha256:aa"], config.ModelFs!.AllDiffIds);
    }

    [Fact]
    public void Cnai_snake_case_diff_ids_are_read()
    {
        var config = ModelPackJson.ReadConfig("""{"modelfs":{"type":"layers","diff_ids":["sha256:bb","sha256:cc"]}}"""u8);

        Assert.Equal(["sha256:bb", "sha256:cc"], config.ModelFs!.AllDiffIds);
    }

    [Fact]
    public void Invalid_json_is_a_format_error()
    {
        Assert.Throws<ModelPackFormatException>(() => ModelPackJson.ReadConfig("{\"descriptor\":"u8));
    }

    [Fact]
    public void Writing_is_compact_in_declaration_order_without_nulls()
    {
        var config = new ModelConfig
        {
            Descriptor = new ModelDescriptor { Name = "m", CreatedAt = "1970-01-01T00:00:00Z" },
            Config = new ModelProperties { Format = "gguf" },
            ModelFs = new ModelFs { Type = "layers", DiffIds = ["sha256:aa"] },
        };

        var json = Encoding.UTF8.GetString(ModelPackJson.WriteConfig(config));

        Assert.Equal(
            """{"descriptor":{"createdAt":"1970-01-01T00:00:00Z","name":"m"},"config":{"format":"gguf"},"modelfs":{"type":"layers","diffIds":["sha256:aa"]}}""",
            json);
    }

    [Fact]
    public void File_metadata_with_a_character_typeflag_is_a_regular_file()
    {
        var metadata = ModelPackJson.ReadFileMetadata("""{"name":"a","mode":420,"typeflag":48,"size":"12"}""", "sha256:x");

        Assert.True(metadata!.IsRegularFile);
        Assert.Equal(420, metadata.Mode);
        Assert.Equal(12, metadata.Size);
    }
}
