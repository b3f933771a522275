using ModelCsi.Core.Cache;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi push &lt;dir&gt; &lt;ref&gt;</c>: packs a directory as a ModelPack artifact and pushes it.</summary>
public sealed class PushCommand : RegistryCommand
{
    private static readonly Dictionary<string, LayerForm> Forms = new(StringComparer.Ordinal)
    {
        ["raw"] = LayerForm.Raw,
        ["tar"] = LayerForm.Tar,
        ["tar+gzip"] = LayerForm.TarGzip,
        ["tar+zstd"] = LayerForm.TarZstd,
    };

    private readonly Argument<string> _directory = new("dir") { Description = "The model directory to pack" };

    private readonly Option<string> _form = new("--form")
    {
        Description = "Layer form of every file (weights keep it when --compress-non-weights is given)",
        DefaultValueFactory = _ => "raw",
    };

    private readonly Option<string?> _compressNonWeights = new("--compress-non-weights")
    {
        Description = "Compress every layer but the weights with gzip or zstd (as tar+gzip / tar+zstd)",
    };

    private readonly Option<string> _family = new("--family")
    {
        Description = "Media type family: cncf (the ModelPack spec) or cnai (what Harbor keys on)",
        DefaultValueFactory = _ => "cncf",
    };

    private readonly Option<string?> _name = new("--name") { Description = "Model name written to the config descriptor" };

    private readonly Option<string?> _version = new("--version") { Description = "Model version written to the config descriptor" };

    public PushCommand(CliConsole console, GlobalOptions globals)
        : base("push", "Pack a model directory as a ModelPack artifact and push it to a registry.",
            "Where to push, e.g. registry.example.com/models/llama:v1", console, globals)
    {
        _form.AcceptOnlyFromAmong([.. Forms.Keys]);
        _compressNonWeights.AcceptOnlyFromAmong("gzip", "zstd");
        _family.AcceptOnlyFromAmong("cncf", "cnai");
        AddSymbols([_directory, Reference], [_form, _compressNonWeights, _family, _name, _version]);
    }

    protected override async Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken)
    {
        var work = Path.Join(Path.GetTempPath(), "modelcsi-push-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var directory = context.ParseResult.GetValue(_directory) ?? string.Empty;
            if (!Directory.Exists(directory))
            {
                throw new CliUsageException($"'{directory}' is not a directory");
            }

            var packer = new ModelPacker(context.Loggers.CreateLogger<ModelPacker>());
            var packed = await packer.PackAsync(directory, work, PackOptions(context.ParseResult), cancellationToken);
            foreach (var skipped in packed.SkippedEntries)
            {
                await context.Console.Error.WriteLineAsync($"warning: not packed: {skipped}");
            }

            using var connection = await context.ConnectAsync(cancellationToken);
            var printer = context.Quiet ? null : new TransferProgressPrinter("pushing", context.Console);
            PushResult result;
            try
            {
                result = await new ModelPusher(context.Loggers.CreateLogger<ModelPusher>()).PushAsync(connection.Repository, packed, printer, cancellationToken);
            }
            finally
            {
                printer?.Finish();
            }

            var pinned = context.Reference.Digest is null ? context.Reference.WithDigest(result.ManifestDigest) : context.Reference;
            await context.Console.Out.WriteLineAsync($"pushed {pinned}");
            await context.Console.Out.WriteLineAsync(
                $"{result.LayerCount} layers, {result.LayerBytes} bytes ({ByteSize.Format(result.LayerBytes)}); "
                + $"{result.BlobsUploaded} blobs uploaded ({result.BytesUploaded} bytes), {result.BlobsSkipped} already present");
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private PackOptions PackOptions(ParseResult parseResult)
    {
        var form = Forms[parseResult.GetValue(_form) ?? "raw"];
        Dictionary<LayerKind, LayerForm>? byKind = null;
        if (parseResult.GetValue(_compressNonWeights) is { } compression)
        {
            var compressed = compression == "zstd" ? LayerForm.TarZstd : LayerForm.TarGzip;
            byKind = Enum.GetValues<LayerKind>().Where(kind => kind != LayerKind.Weight).ToDictionary(kind => kind, _ => compressed);
        }

        var name = parseResult.GetValue(_name);
        var version = parseResult.GetValue(_version);
        return new PackOptions
        {
            Form = form,
            FormByKind = byKind,
            Family = parseResult.GetValue(_family) == "cnai" ? ArtifactFamily.Cnai : ArtifactFamily.Cncf,
            Descriptor = name is null && version is null ? null : new ModelDescriptor { Name = name, Version = version },
        };
    }
}
