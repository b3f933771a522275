using ModelCsi.Core.Cache;
using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi inspect &lt;ref&gt; [--json]</c>: shows a model's manifest, layers and config without pulling it.</summary>
public sealed class InspectCommand : RegistryCommand
{
    // A config is a few KiB; a descriptor claiming more is not something to load into memory.
    private const long MaxConfigBytes = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions JsonOutput = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print a machine-readable JSON document" };

    public InspectCommand(CliConsole console, GlobalOptions globals)
        : base("inspect", "Show a model artifact's manifest, layers and config.", "The model to inspect, by tag or digest", console, globals)
    {
        AddSymbols([Reference], [_json]);
    }

    protected override async Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken)
    {
        using var connection = await context.ConnectAsync(cancellationToken);
        var model = await ModelResolver.ResolveAsync(connection.Repository, cancellationToken);
        var config = await ReadConfigAsync(connection.Repository, model.Manifest.Config, cancellationToken);
        var document = Describe(model, config);
        if (context.ParseResult.GetValue(_json))
        {
            await context.Console.Out.WriteLineAsync(document.ToJsonString(JsonOutput));
        }
        else
        {
            await context.Console.Out.WriteAsync(Text(model, config));
        }

        return ExitCodes.Success;
    }

    private static async Task<ModelConfig> ReadConfigAsync(RepositoryClient repository, OciDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size > MaxConfigBytes)
        {
            throw new ModelPackFormatException($"config blob {descriptor.Digest} is {descriptor.Size} bytes, more than the {MaxConfigBytes} a config may have");
        }

        using var buffer = new MemoryStream();
        await repository.FetchBlobAsync(descriptor, buffer, cancellationToken);
        // KitOps configs are Kitfiles, not ModelPack configs; their fields simply come out empty.
        return ModelPackJson.ReadConfig(buffer.ToArray());
    }

    private static string? LayerPath(OciDescriptor layer) =>
        layer.Annotation(ModelPackAnnotations.CncfFilePath) ?? layer.Annotation(ModelPackAnnotations.CnaiFilePath) ?? layer.Annotation(ModelPackAnnotations.ImageTitle);

    private static string FamilyName(ArtifactFamily family) => family.ToString().ToLowerInvariant();

    private static JsonObject Describe(ResolvedModel model, ModelConfig config)
    {
        var layers = new JsonArray();
        foreach (var layer in model.Manifest.Layers)
        {
            layers.Add(new JsonObject
            {
                ["mediaType"] = layer.MediaType,
                ["path"] = LayerPath(layer),
                ["size"] = layer.Size,
                ["digest"] = layer.Digest,
            });
        }

        return new JsonObject
        {
            ["reference"] = model.Reference.ToString(),
            ["digest"] = model.ManifestDigest,
            ["indexDigest"] = model.IndexDigest,
            ["mediaType"] = model.ManifestMediaType,
            ["artifactType"] = model.Manifest.ArtifactType,
            ["family"] = FamilyName(model.Artifact.Family),
            ["config"] = new JsonObject
            {
                ["mediaType"] = model.Manifest.Config.MediaType,
                ["digest"] = model.Manifest.Config.Digest,
                ["size"] = model.Manifest.Config.Size,
                ["name"] = config.Descriptor?.Name,
                ["version"] = config.Descriptor?.Version,
                ["family"] = config.Descriptor?.Family,
                ["architecture"] = config.Config?.Architecture,
                ["format"] = config.Config?.Format,
                ["paramSize"] = config.Config?.ParamSize,
                ["precision"] = config.Config?.Precision,
                ["quantization"] = config.Config?.Quantization,
            },
            ["layers"] = layers,
            ["totalSize"] = model.TotalLayerBytes,
        };
    }

    private static string Text(ResolvedModel model, ModelConfig config)
    {
        var text = new System.Text.StringBuilder();
        void Line(string label, string? value) => text.Append(CultureInfo.InvariantCulture, $"{label,-17}{value ?? "-"}\n");

        Line("reference:", model.Reference.ToString());
        Line("digest:", model.ManifestDigest);
        if (model.IndexDigest is not null)
        {
            Line("index:", model.IndexDigest);
        }

        Line("media type:", model.ManifestMediaType);
        Line("artifact type:", model.Manifest.ArtifactType);
        Line("family:", FamilyName(model.Artifact.Family));
        text.Append("config:\n");
        Line("  name:", config.Descriptor?.Name);
        Line("  version:", config.Descriptor?.Version);
        Line("  family:", config.Descriptor?.Family);
        Line("  architecture:", config.Config?.Architecture);
        Line("  format:", config.Config?.Format);
        Line("  paramSize:", config.Config?.ParamSize);
        Line("  precision:", config.Config?.Precision);
        Line("  quantization:", config.Config?.Quantization);
        text.Append(CultureInfo.InvariantCulture, $"layers ({model.Manifest.Layers.Count}):\n");
        foreach (var layer in model.Manifest.Layers)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {layer.Digest}  {layer.Size,12}  {layer.MediaType}  {LayerPath(layer) ?? "-"}\n");
        }

        Line("total size:", $"{model.TotalLayerBytes} bytes ({ByteSize.Format(model.TotalLayerBytes)})");
        return text.ToString();
    }
}
