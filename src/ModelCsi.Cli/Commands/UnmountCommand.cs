using System.CommandLine;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi umount NAME --socket PATH</c>: removes a mount from a dynamic volume (cancelling its pull if still running).</summary>
public sealed class UnmountCommand : DynamicSocketCommand
{
    private readonly Argument<string> _name = new("name") { Description = "Name of the mount" };

    public UnmountCommand(CliConsole console, GlobalOptions globals)
        : base("umount", "Unmount a model from a dynamic volume.", console, globals)
    {
        Add(_name);
    }

    protected override string ErrorLabel(ParseResult parseResult) => $"{Name} {parseResult.GetValue(_name)}";

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, DynamicSocketClient client, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_name)!;
        await client.UnmountAsync(name, cancellationToken);
        await Console.Out.WriteLineAsync($"unmounted {name}");
        return ExitCodes.Success;
    }
}
