using System.CommandLine;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi mount NAME REFERENCE --socket PATH [--wait]</c>: asks a dynamic volume to mount a model under a name.</summary>
public sealed class MountCommand : DynamicSocketCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly Argument<string> _name = new("name") { Description = "Name of the mount: the model appears at models/<name> in the volume" };
    private readonly Argument<string> _reference = new("reference") { Description = "Model reference, e.g. registry.example.com/models/llama:1.0" };
    private readonly Option<string[]> _include = new("--include") { Description = "Mount only layers whose path matches this glob (repeatable; ** crosses directories)" };
    private readonly Option<string[]> _exclude = new("--exclude") { Description = "Leave out layers whose path matches this glob (repeatable)" };
    private readonly Option<bool> _excludeWeights = new("--exclude-weights") { Description = "Leave out weight layers (by media type)" };
    private readonly Option<bool> _wait = new("--wait") { Description = "Wait until the model is mounted (exit 1 if its pull fails)" };
    private readonly Option<TimeSpan> _timeout = new("--timeout")
    {
        Description = "How long --wait waits",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
    };

    public MountCommand(CliConsole console, GlobalOptions globals)
        : base("mount", "Mount a model into a dynamic volume (inside a pod, through the volume's socket).", console, globals)
    {
        Add(_name);
        Add(_reference);
        Add(_include);
        Add(_exclude);
        Add(_excludeWeights);
        Add(_wait);
        Add(_timeout);
    }

    protected override string ErrorLabel(ParseResult parseResult) => $"{Name} {parseResult.GetValue(_name)}";

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, DynamicSocketClient client, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_name)!;
        var selection = Selection(parseResult);
        var mount = await client.MountAsync(name, parseResult.GetValue(_reference)!, selection, cancellationToken);
        if (!parseResult.GetValue(_wait))
        {
            await Console.Out.WriteLineAsync($"mounting {mount.Reference} at {mount.Path} ({mount.State})");
            return ExitCodes.Success;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(parseResult.GetValue(_timeout));
        while (mount.State == "pulling")
        {
            await Task.Delay(PollInterval, Console.Time, timeout.Token);
            mount = await client.GetAsync(name, timeout.Token);
        }

        if (mount.State != "ready")
        {
            await Console.Error.WriteLineAsync($"error: mount {name}: {mount.Reference}: {mount.Error ?? mount.State}");
            return ExitCodes.General;
        }

        await Console.Out.WriteLineAsync($"mounted {mount.Reference}@{mount.ManifestDigest} at {mount.Path}");
        return ExitCodes.Success;
    }

    /// <summary>The selection object the socket API takes, or null for the whole model.</summary>
    private Dictionary<string, object>? Selection(ParseResult parseResult)
    {
        var selection = new Dictionary<string, object>(StringComparer.Ordinal);
        if (parseResult.GetValue(_include) is { Length: > 0 } include)
        {
            selection["includePatterns"] = include;
        }

        if (parseResult.GetValue(_exclude) is { Length: > 0 } exclude)
        {
            selection["excludePatterns"] = exclude;
        }

        if (parseResult.GetValue(_excludeWeights))
        {
            selection["excludeWeights"] = true;
        }

        return selection.Count == 0 ? null : selection;
    }
}
