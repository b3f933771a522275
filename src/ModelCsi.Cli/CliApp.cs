using System.CommandLine;
using System.CommandLine.Invocation;
using ModelCsi.Cli.Commands;

namespace ModelCsi.Cli;

/// <summary>Builds the modelcsi command tree and runs one command line; the process entry point and tests both call it.</summary>
public static class CliApp
{
    /// <summary>Runs with the given output streams and no stdin or environment (for tests and embedding).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliConsole { Out = output, Error = error }, cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = BuildRootCommand(console);
        var parseResult = root.Parse(args);
        if (UnknownOptions.FirstIn(parseResult, args) is { } unknown)
        {
            await console.Error.WriteLineAsync($"error: unknown option '{unknown}' for '{CommandPath(parseResult)}'");
            await console.Error.WriteLineAsync($"Run '{CommandPath(parseResult)} --help' for its options.");
            return ExitCodes.Usage;
        }

        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors.Select(error => error.Message).Distinct())
            {
                await console.Error.WriteLineAsync($"error: {error}");
            }

            await console.Error.WriteLineAsync("Run 'modelcsi --help' (or 'modelcsi <command> --help') for usage.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        return await parseResult.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary><c>modelcsi csi publish</c>: the command the parse ended at, as typed.</summary>
    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Parent is null ? "modelcsi" : result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The full command tree. Further subcommands (csi, cache) are added here.</summary>
    public static RootCommand BuildRootCommand(CliConsole console)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("modelcsi: push, pull and inspect ModelPack model artifacts in OCI registries; drive a CSI driver's socket, "
            + "the node cache and dynamic volumes.\n\n" + ExitCodes.HelpText);
        globals.AddTo(root);
        root.Add(new PushCommand(console, globals));
        root.Add(new PullCommand(console, globals));
        root.Add(new InspectCommand(console, globals));
        root.Add(new SignCommand(console, globals));
        root.Add(new VerifyCommand(console, globals));
        root.Add(new CsiCommand(console, globals));
        root.Add(new CacheCommand(console, globals));
        root.Add(new MountCommand(console, globals));
        root.Add(new ListMountsCommand(console, globals));
        root.Add(new UnmountCommand(console, globals));
        return root;
    }
}
