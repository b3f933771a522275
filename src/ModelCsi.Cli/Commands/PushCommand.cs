using ModelCsi.Core.Cache;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi push &lt;dir&gt; &lt;ref&gt;</c>: packs a directory as a ModelPack artifact and pushes it.</summary>
public sealed class PushCommand : Command
{
    private static readonly Dictionary<string, LayerForm> Forms = new(StringComparer.Ordinal)
    {
        ["raw"] = LayerForm.Raw,
        ["tar"] = LayerForm.Tar,
        ["tar+gzip"] = LayerForm.TarGzip,
        ["tar+zstd"] = LayerForm.TarZstd,
    };

    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly RegistryCommandOptions _registry = new();

    private readonly Argument<string> _directory = new("dir") { Description = "The model directory to pack" };

    private readonly Argument<string> _reference = new("ref") { Description = "Where to push, e.g. registry.example.com/models/llama:v1" };

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
        : base("push", "Pack a model directory as a ModelPack artifact and push it to a registry.")
    {
        _console = console;
        _globals = globals;
        _form.AcceptOnlyFromAmong([.. Forms.Keys]);
        _compressNonWeights.AcceptOnlyFromAmong("gzip", "zstd");
        _family.AcceptOnlyFromAmong("cncf", "cnai");
        Add(_directory);
        Add(_reference);
        Add(_form);
        Add(_compressNonWeights);
        Add(_family);
        Add(_name);
        Add(_version);
        _registry.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var referenceText = parseResult.GetValue(_reference) ?? string.Empty;
        var verbose = parseResult.GetValue(_globals.Verbose);
        using var loggers = CliLogging.Create(verbose);
        var work = Path.Join(Path.GetTempPath(), "modelcsi-push-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var reference = OciReference.Parse(referenceText);
            var directory = parseResult.GetValue(_directory) ?? string.Empty;
            if (!Directory.Exists(directory))
            {
                throw new CliUsageException($"'{directory}' is not a directory");
            }

            var packed = await new ModelPacker(loggers.CreateLogger<ModelPacker>()).PackAsync(directory, work, PackOptions(parseResult), cancellationToken);
            foreach (var skipped in packed.SkippedEntries)
            {
                await _console.Error.WriteLineAsync($"warning: not packed: {skipped}");
            }

            using var connection = await RegistryConnection.OpenAsync(parseResult, _registry, _console, reference, loggers, cancellationToken);
            var printer = parseResult.GetValue(_globals.Quiet) ? null : new TransferProgressPrinter("pushing", _console);
            PushResult result;
            try
            {
                result = await new ModelPusher(loggers.CreateLogger<ModelPusher>()).PushAsync(connection.Repository, packed, printer, cancellationToken);
            }
            finally
            {
                printer?.Finish();
            }

            var pinned = reference.Digest is null ? reference.WithDigest(result.ManifestDigest) : reference;
            await _console.Out.WriteLineAsync($"pushed {pinned}");
            await _console.Out.WriteLineAsync(
                $"{result.LayerCount} layers, {result.LayerBytes} bytes ({ByteSize.Format(result.LayerBytes)}); "
                + $"{result.BlobsUploaded} blobs uploaded ({result.BytesUploaded} bytes), {result.BlobsSkipped} already present");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"push {referenceText}", _console, verbose);
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
