using System.Text.Encodings.Web;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// JSON reading and writing for config, manifest and metadata: lenient when reading what other tools wrote,
/// strict and byte-stable when writing (declaration order, no nulls, no indentation).
/// </summary>
public static class ModelPackJson
{
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    // '+' appears in media types and annotation keys; the default encoder would write it as \u002B.
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>Reads a config blob; <c>{}</c> and configs missing any optional part are fine.</summary>
    public static ModelConfig ReadConfig(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return new ModelConfig();
        }

        try
        {
            return JsonSerializer.Deserialize<ModelConfig>(json, ReadOptions) ?? new ModelConfig();
        }
        catch (JsonException ex)
        {
            throw new ModelPackFormatException($"model config is not valid JSON for the ModelPack config schema: {ex.Message}", ex);
        }
    }

    public static byte[] WriteConfig(ModelConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, WriteOptions);

    /// <summary>Reads a file metadata annotation; returns null when absent.</summary>
    public static FileMetadata? ReadFileMetadata(string? json, string layerDigest)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<FileMetadata>(json, ReadOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelPackFormatException($"layer {layerDigest}: file metadata annotation is not valid JSON: {ex.Message}", ex);
        }
    }

    public static string WriteFileMetadata(FileMetadata metadata) => JsonSerializer.Serialize(metadata, WriteOptions);

    public static byte[] WriteManifest(OciManifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, WriteOptions);

    /// <exception cref="ModelPackFormatException">The bytes are not a manifest.</exception>
    public static OciManifest ReadManifest(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<OciManifest>(json, ReadOptions)
                ?? throw new ModelPackFormatException("manifest JSON is null");
        }
        catch (JsonException ex)
        {
            throw new ModelPackFormatException($"manifest is not valid JSON for an OCI manifest: {ValueExcerpt.Of(ex.Message, 256)}", ex);
        }
    }
}
