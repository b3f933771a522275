namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Decides the layer kind of a file by its name. One ordered table; the first matching pattern wins,
/// so the specific names (merges.txt, tokenizer.model, *.safetensors.index.json) come before the broad ones.
/// Patterns match the file's base name, case-insensitively, with '*' as the only wildcard.
/// </summary>
public static class ModelFileClassifier
{
    public static IReadOnlyList<(string Pattern, LayerKind Kind)> Rules { get; } =
    [
        // Weight configuration: what a runtime reads to load the weights.
        ("config.json", LayerKind.WeightConfig),
        ("generation_config.json", LayerKind.WeightConfig),
        ("preprocessor_config.json", LayerKind.WeightConfig),
        ("special_tokens_map.json", LayerKind.WeightConfig),
        ("added_tokens.json", LayerKind.WeightConfig),
        ("tokenizer*", LayerKind.WeightConfig),
        ("vocab.*", LayerKind.WeightConfig),
        ("merges.txt", LayerKind.WeightConfig),
        ("*.tiktoken", LayerKind.WeightConfig),
        ("chat_template*", LayerKind.WeightConfig),
        ("*.safetensors.index.json", LayerKind.WeightConfig),
        ("*.bin.index.json", LayerKind.WeightConfig),
        ("*_config.json", LayerKind.WeightConfig),
        ("modelfile", LayerKind.WeightConfig),

        // Weights.
        ("*.safetensors", LayerKind.Weight),
        ("*.bin", LayerKind.Weight),
        ("*.gguf", LayerKind.Weight),
        ("*.ggml", LayerKind.Weight),
        ("*.pt", LayerKind.Weight),
        ("*.pth", LayerKind.Weight),
        ("*.onnx", LayerKind.Weight),
        ("*.onnx_data", LayerKind.Weight),
        ("*.h5", LayerKind.Weight),
        ("*.hdf5", LayerKind.Weight),
        ("*.keras", LayerKind.Weight),
        ("*.ckpt", LayerKind.Weight),
        ("*.msgpack", LayerKind.Weight),
        ("*.tflite", LayerKind.Weight),
        ("*.mlmodel", LayerKind.Weight),
        ("*.pb", LayerKind.Weight),
        ("*.pkl", LayerKind.Weight),
        ("*.joblib", LayerKind.Weight),
        ("*.npz", LayerKind.Weight),
        ("*.npy", LayerKind.Weight),
        ("*.model", LayerKind.Weight),
        ("*.engine", LayerKind.Weight),
        ("*.plan", LayerKind.Weight),

        // Datasets.
        ("*.csv", LayerKind.Dataset),
        ("*.tsv", LayerKind.Dataset),
        ("*.jsonl", LayerKind.Dataset),
        ("*.parquet", LayerKind.Dataset),
        ("*.arrow", LayerKind.Dataset),

        // Before *.txt: a pip requirements file is code.
        ("requirements*.txt", LayerKind.Code),

        // Documentation.
        ("readme*", LayerKind.Doc),
        ("license*", LayerKind.Doc),
        ("licence*", LayerKind.Doc),
        ("notice*", LayerKind.Doc),
        ("copying*", LayerKind.Doc),
        ("*.md", LayerKind.Doc),
        ("*.txt", LayerKind.Doc),
        ("*.rst", LayerKind.Doc),
        ("*.pdf", LayerKind.Doc),
        ("*.png", LayerKind.Doc),
        ("*.jpg", LayerKind.Doc),
        ("*.jpeg", LayerKind.Doc),
        ("*.gif", LayerKind.Doc),
        ("*.svg", LayerKind.Doc),

        // Code.
        ("*.py", LayerKind.Code),
        ("*.sh", LayerKind.Code),
        ("*.ipynb", LayerKind.Code),
        ("*.js", LayerKind.Code),
        ("*.ts", LayerKind.Code),
        ("*.go", LayerKind.Code),
        ("*.rs", LayerKind.Code),
        ("*.c", LayerKind.Code),
        ("*.cc", LayerKind.Code),
        ("*.cpp", LayerKind.Code),
        ("*.h", LayerKind.Code),
        ("*.cu", LayerKind.Code),
        ("*.java", LayerKind.Code),
    ];

    /// <summary>
    /// Anything unmatched (yaml, other json, dotfiles) is code: a file something loads, rather than
    /// prose for humans.
    /// </summary>
    public const LayerKind Default = LayerKind.Code;

    public static LayerKind Classify(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        foreach (var (pattern, kind) in Rules)
        {
            if (GlobMatches(pattern, name))
            {
                return kind;
            }
        }

        return Default;
    }

    private static bool GlobMatches(string pattern, string name)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase);
        }

        // Patterns have at most one '*' or, as in requirements*.txt, a prefix and a suffix around it.
        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        return name.Length >= prefix.Length + suffix.Length
            && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }
}
