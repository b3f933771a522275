using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class ModelFileClassifierTests
{
    [Theory]
    [InlineData("model.safetensors", LayerKind.Weight)]
    [InlineData("shards/model-00001-of-00002.safetensors", LayerKind.Weight)]
    [InlineData("pytorch_model.bin", LayerKind.Weight)]
    [InlineData("llama-3.2-1b.Q4_K_M.gguf", LayerKind.Weight)]
    [InlineData("model.pt", LayerKind.Weight)]
    [InlineData("model.pth", LayerKind.Weight)]
    [InlineData("onnx/model.onnx", LayerKind.Weight)]
    [InlineData("tf_model.h5", LayerKind.Weight)]
    [InlineData("last.ckpt", LayerKind.Weight)]
    [InlineData("flax_model.msgpack", LayerKind.Weight)]
    [InlineData("model.tflite", LayerKind.Weight)]
    [InlineData("Model.mlmodel", LayerKind.Weight)]
    [InlineData("saved_model.pb", LayerKind.Weight)]
    [InlineData("MODEL.SAFETENSORS", LayerKind.Weight)]
    [InlineData("config.json", LayerKind.WeightConfig)]
    [InlineData("generation_config.json", LayerKind.WeightConfig)]
    [InlineData("tokenizer.json", LayerKind.WeightConfig)]
    [InlineData("tokenizer_config.json", LayerKind.WeightConfig)]
    [InlineData("tokenizer.model", LayerKind.WeightConfig)]
    [InlineData("special_tokens_map.json", LayerKind.WeightConfig)]
    [InlineData("vocab.json", LayerKind.WeightConfig)]
    [InlineData("vocab.txt", LayerKind.WeightConfig)]
    [InlineData("merges.txt", LayerKind.WeightConfig)]
    [InlineData("cl100k_base.tiktoken", LayerKind.WeightConfig)]
    [InlineData("preprocessor_config.json", LayerKind.WeightConfig)]
    [InlineData("chat_template.jinja", LayerKind.WeightConfig)]
    [InlineData("model.safetensors.index.json", LayerKind.WeightConfig)]
    [InlineData("README.md", LayerKind.Doc)]
    [InlineData("readme", LayerKind.Doc)]
    [InlineData("LICENSE", LayerKind.Doc)]
    [InlineData("LICENSE.txt", LayerKind.Doc)]
    [InlineData("NOTICE", LayerKind.Doc)]
    [InlineData("docs/usage.md", LayerKind.Doc)]
    [InlineData("notes.txt", LayerKind.Doc)]
    [InlineData("inference.py", LayerKind.Code)]
    [InlineData("run.sh", LayerKind.Code)]
    [InlineData("notebooks/train.ipynb", LayerKind.Code)]
    [InlineData("index.js", LayerKind.Code)]
    [InlineData("requirements.txt", LayerKind.Code)]
    [InlineData("data/train.csv", LayerKind.Dataset)]
    [InlineData("data/eval.jsonl", LayerKind.Dataset)]
    [InlineData("data/part-0.parquet", LayerKind.Dataset)]
    [InlineData("data/cache.arrow", LayerKind.Dataset)]
    [InlineData(".gitattributes", ModelFileClassifier.Default)]
    [InlineData("settings.yaml", ModelFileClassifier.Default)]
    public void Files_are_classified_by_name(string path, LayerKind expected)
    {
        Assert.Equal(expected, ModelFileClassifier.Classify(path));
    }
}
