using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>What a <see cref="RegistryCommand"/> hands its own work: the parsed command line, the model reference, loggers and console.</summary>
public sealed class RegistryCommandContext(
    ParseResult parseResult, OciReference reference, ILoggerFactory loggers, CliConsole console, bool quiet, RegistryCommandOptions registry)
{
    public ParseResult ParseResult => parseResult;

    public OciReference Reference => reference;

    public ILoggerFactory Loggers => loggers;

    public CliConsole Console => console;

    /// <summary>--quiet: print no progress.</summary>
    public bool Quiet => quiet;

    /// <summary>
    /// Opens the connection to the reference's repository (reading credentials, maybe from stdin). Left to the
    /// command so it can reject bad local input (keys, directories) before anything is asked of the registry.
    /// </summary>
    public Task<RegistryConnection> ConnectAsync(CancellationToken cancellationToken) =>
        RegistryConnection.OpenAsync(parseResult, registry, console, reference, loggers, cancellationToken);
}
