using ModelCsi.Core.Cache;
using System.CommandLine;
using System.Globalization;
using ModelCsi.Cli.Output;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi ls --socket PATH</c>: the mounts of a dynamic volume with their state and progress.</summary>
public sealed class ListMountsCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly Option<string?> _socket = DynamicSocketClient.CreateSocketOption();

    public ListMountsCommand(CliConsole console, GlobalOptions globals)
        : base("ls", "List the mounts of a dynamic volume: name, state, progress, reference.")
    {
        _console = console;
        _globals = globals;
        Add(_socket);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            using var client = DynamicSocketClient.Open(parseResult, _socket, _console);
            var mounts = await client.ListAsync(cancellationToken);
            await _console.Out.WriteLineAsync("NAME\tSTATE\tPROGRESS\tREFERENCE\tDIGEST");
            foreach (var mount in mounts)
            {
                var progress = mount.BytesTotal is { } total
                    ? $"{ByteSize.Format(mount.BytesDone)}/{ByteSize.Format(total)}"
                    : "-";
                var detail = mount.State == "failed" ? "error: " + mount.Error : mount.ManifestDigest ?? "-";
                await _console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{mount.Name}\t{mount.State}\t{progress}\t{mount.Reference}\t{detail}"));
            }

            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, "ls", _console, parseResult.GetValue(_globals.Verbose));
        }
    }
}
