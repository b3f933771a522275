using ModelCsi.Core.Cache;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi pull &lt;ref&gt; &lt;dir&gt;</c>: downloads, verifies and unpacks a model into a new directory.</summary>
public sealed class PullCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly RegistryCommandOptions _registry = new();

    private readonly Argument<string> _reference = new("ref") { Description = "The model to pull, by tag or digest" };

    private readonly Argument<string> _directory = new("dir") { Description = "Destination; must not exist or be empty" };

    private readonly Option<string[]> _verifyKeys = new("--verify-key") { Description = "Pull only if a cosign signature by this public key (PEM; repeatable) covers the model's digest; a refusal exits 4 (permission denied) naming the reason; 'modelcsi verify' tells the reasons apart by exit code" };

    public PullCommand(CliConsole console, GlobalOptions globals)
        : base("pull", "Pull a ModelPack or KitOps model into a directory. Every layer is verified against its digest "
            + "before the directory appears.")
    {
        _console = console;
        _globals = globals;
        Add(_reference);
        Add(_directory);
        Add(_verifyKeys);
        _registry.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var referenceText = parseResult.GetValue(_reference) ?? string.Empty;
        var verbose = parseResult.GetValue(_globals.Verbose);
        using var loggers = CliLogging.Create(verbose);
        try
        {
            var reference = OciReference.Parse(referenceText);
            var directory = parseResult.GetValue(_directory) ?? string.Empty;
            // Keys are read before anything is asked of the registry: a bad key is a usage error, found at once.
            var verifier = SignatureGate.For(parseResult.GetValue(_verifyKeys), loggers);
            using var connection = await RegistryConnection.OpenAsync(parseResult, _registry, _console, reference, loggers, cancellationToken);
            var printer = parseResult.GetValue(_globals.Quiet) ? null : new TransferProgressPrinter("pulling", _console);
            PullResult result;
            try
            {
                var puller = new ModelPuller(loggers.CreateLogger<ModelPuller>(), new LayerUnpacker(loggers.CreateLogger<LayerUnpacker>()), verifier);
                result = await puller.PullAsync(connection.Repository, directory, progress: printer, cancellationToken: cancellationToken);
            }
            finally
            {
                printer?.Finish();
            }

            await _console.Out.WriteLineAsync($"pulled {reference.WithDigest(result.Model.ManifestDigest)}");
            await _console.Out.WriteLineAsync(
                $"{result.FilesWritten} files, {result.BytesWritten} bytes ({ByteSize.Format(result.BytesWritten)}) in {result.Destination}");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"pull {referenceText}", _console, verbose);
        }
    }
}
