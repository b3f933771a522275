using System.CommandLine;
using ModelCsi.Cli.Output;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// A command that talks to a dynamic volume's socket (mount, umount, ls). It owns what they share: the
/// <c>--socket</c> option (listed first among the options), opening the client, and turning any failure into
/// the error line and exit code.
/// </summary>
public abstract class DynamicSocketCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly Option<string?> _socket = DynamicSocketClient.CreateSocketOption();

    protected DynamicSocketCommand(string name, string description, CliConsole console, GlobalOptions globals)
        : base(name, description)
    {
        _console = console;
        _globals = globals;
        Add(_socket);
        SetAction(RunAsync);
    }

    protected CliConsole Console => _console;

    /// <summary>What the error line names, e.g. <c>mount NAME</c>; the command's name unless a subclass says more.</summary>
    protected virtual string ErrorLabel(ParseResult parseResult) => Name;

    /// <summary>The command's own work over an open client; an exception becomes the error report and its exit code.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, DynamicSocketClient client, CancellationToken cancellationToken);

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var label = ErrorLabel(parseResult);
        try
        {
            using var client = DynamicSocketClient.Open(parseResult, _socket, _console);
            return await ExecuteAsync(parseResult, client, cancellationToken);
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, label, _console, parseResult.GetValue(_globals.Verbose));
        }
    }
}
