using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>What a <see cref="RegistryCommand"/> hands its own work: the parsed command line, the model reference, loggers and console.</summary>
public sealed class RegistryCommandContext
{
    private readonly RegistryCommandOptions _registry;

    internal RegistryCommandContext(
        ParseResult parseResult, OciReference reference, ILoggerFactory loggers, CliConsole console, bool quiet, RegistryCommandOptions registry)
    {
        ParseResult = parseResult;
        Reference = reference;
        Loggers = loggers;
        Console = console;
        Quiet = quiet;
        _registry = registry;
    }

    public ParseResult ParseResult { get; }

    public OciReference Reference { get; }

    public ILoggerFactory Loggers { get; }

    public CliConsole Console { get; }

    /// <summary>--quiet: print no progress.</summary>
    public bool Quiet { get; }

    /// <summary>
    /// Opens the connection to the reference's repository (reading credentials, maybe from stdin). Left to the
    /// command so it can reject bad local input (keys, directories) before anything is asked of the registry.
    /// </summary>
    public Task<RegistryConnection> ConnectAsync(CancellationToken cancellationToken) =>
        RegistryConnection.OpenAsync(ParseResult, _registry, Console, Reference, Loggers, cancellationToken);
}
