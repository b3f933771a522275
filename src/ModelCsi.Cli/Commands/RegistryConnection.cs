using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>A registry client and the repository client of one reference, set up from a command's options.</summary>
public sealed class RegistryConnection : IDisposable
{
    private readonly RegistryClient _client;

    private RegistryConnection(RegistryClient client, RepositoryClient repository)
    {
        _client = client;
        Repository = repository;
    }

    public RepositoryClient Repository { get; }

    public static async Task<RegistryConnection> OpenAsync(
        ParseResult parseResult, RegistryOptions options, CliConsole console, OciReference reference, ILoggerFactory loggers,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var credential = await options.CredentialAsync(parseResult, console, cancellationToken);
        var client = new RegistryClient(options.ClientOptions(parseResult, reference), loggers.CreateLogger<RegistryClient>());
        return new RegistryConnection(client, client.Repository(reference, credential));
    }

    public void Dispose() => _client.Dispose();
}
