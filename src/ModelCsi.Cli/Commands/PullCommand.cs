using ModelCsi.Core.Cache;
using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi pull &lt;ref&gt; &lt;dir&gt;</c>: downloads, verifies and unpacks a model into a new directory.</summary>
public sealed class PullCommand : RegistryCommand
{
    private readonly Argument<string> _directory = new("dir") { Description = "Destination; must not exist or be empty" };

    private readonly Option<string[]> _verifyKeys = new("--verify-key") { Description = "Pull only if a cosign signature by this public key (PEM; repeatable) covers the model's digest; a refusal exits 4 (permission denied) naming the reason; 'modelcsi verify' tells the reasons apart by exit code" };

    public PullCommand(CliConsole console, GlobalOptions globals)
        : base("pull", "Pull a ModelPack or KitOps model into a directory. Every layer is verified against its digest "
            + "before the directory appears.", "The model to pull, by tag or digest", console, globals)
    {
        AddSymbols([Reference, _directory], [_verifyKeys]);
    }

    protected override async Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken)
    {
        var directory = context.ParseResult.GetValue(_directory) ?? string.Empty;
        // Keys are read before anything is asked of the registry: a bad key is a usage error, found at once.
        var verifier = SignatureGate.For(context.ParseResult.GetValue(_verifyKeys), context.Loggers);
        using var connection = await context.ConnectAsync(cancellationToken);
        var printer = context.Quiet ? null : new TransferProgressPrinter("pulling", context.Console);
        PullResult result;
        try
        {
            var puller = new ModelPuller(
                context.Loggers.CreateLogger<ModelPuller>(), new LayerUnpacker(context.Loggers.CreateLogger<LayerUnpacker>()), verifier);
            result = await puller.PullAsync(connection.Repository, directory, progress: printer, cancellationToken: cancellationToken);
        }
        finally
        {
            printer?.Finish();
        }

        await context.Console.Out.WriteLineAsync($"pulled {context.Reference.WithDigest(result.Model.ManifestDigest)}");
        await context.Console.Out.WriteLineAsync(
            $"{result.FilesWritten} files, {result.BytesWritten} bytes ({ByteSize.Format(result.BytesWritten)}) in {result.Destination}");
        return ExitCodes.Success;
    }
}
