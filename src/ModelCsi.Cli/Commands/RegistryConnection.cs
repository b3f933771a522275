using System.CommandLine;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>A registry client and the repository client of one reference, set up from a command's options.</summary>
public sealed class RegistryConnection : IDisposable
{
    private readonly RegistryClient _client;
    private readonly RegistryCredential? _credential;

    private RegistryConnection(RegistryClient client, RepositoryClient repository, RegistryCredential? credential)
    {
        _client = client;
        Repository = repository;
        _credential = credential;
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
        return new RegistryConnection(client, client.Repository(reference, credential), credential);
    }

    /// <summary>The same repository with the same credential, pinned to <paramref name="digest"/>.</summary>
    public RepositoryClient Pinned(string digest) => _client.Repository(Repository.Reference.WithDigest(digest), _credential);

    public void Dispose() => _client.Dispose();
}
