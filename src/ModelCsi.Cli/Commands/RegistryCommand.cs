using System.CommandLine;
using ModelCsi.Cli.Output;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// A command that works on one model in a registry (push, pull, inspect, sign, verify). It owns what they
/// share: the <c>ref</c> argument, the registry options, and the run around the command's own work
/// (loggers, parsing the reference, turning any failure into the error line and exit code).
/// </summary>
public abstract class RegistryCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly RegistryCommandOptions _registry = new();

    protected RegistryCommand(string name, string description, string referenceDescription, CliConsole console, GlobalOptions globals)
        : base(name, description)
    {
        _console = console;
        _globals = globals;
        Reference = new Argument<string>("ref") { Description = referenceDescription };
        SetAction(RunAsync);
    }

    /// <summary>The <c>ref</c> argument; a subclass places it among its arguments with <see cref="AddSymbols"/>.</summary>
    protected Argument<string> Reference { get; }

    /// <summary>
    /// Adds the command's arguments in order (the reference among them, where it stands on the command line),
    /// then its own options, then the registry options, so help lists them in that order.
    /// </summary>
    protected void AddSymbols(IEnumerable<Argument> arguments, IEnumerable<Option> options)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var argument in arguments)
        {
            Add(argument);
        }

        foreach (var option in options)
        {
            Add(option);
        }

        _registry.AddTo(this);
    }

    /// <summary>The command's own work; an exception becomes the error report and its exit code.</summary>
    protected abstract Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken);

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var referenceText = parseResult.GetValue(Reference) ?? string.Empty;
        var verbose = parseResult.GetValue(_globals.Verbose);
        using var loggers = CliLogging.Create(verbose);
        try
        {
            var context = new RegistryCommandContext(
                parseResult, OciReference.Parse(referenceText), loggers, _console, parseResult.GetValue(_globals.Quiet), _registry);
            return await ExecuteAsync(context, cancellationToken);
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"{Name} {referenceText}", _console, verbose);
        }
    }
}
