using System.CommandLine;
using ModelCsi.Cli.Output;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi umount NAME --socket PATH</c>: removes a mount from a dynamic volume (cancelling its pull if still running).</summary>
public sealed class UnmountCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly Argument<string> _name = new("name") { Description = "Name of the mount" };
    private readonly Option<string?> _socket = DynamicSocketClient.CreateSocketOption();

    public UnmountCommand(CliConsole console, GlobalOptions globals)
        : base("umount", "Unmount a model from a dynamic volume.")
    {
        _console = console;
        _globals = globals;
        Add(_name);
        Add(_socket);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_name)!;
        try
        {
            using var client = DynamicSocketClient.Open(parseResult, _socket, _console);
            await client.UnmountAsync(name, cancellationToken);
            await _console.Out.WriteLineAsync($"unmounted {name}");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"umount {name}", _console, parseResult.GetValue(_globals.Verbose));
        }
    }
}
