using Xunit;

namespace ModelCsi.TestSupport;

/// <summary>A test registry with distribution token auth, backed by a <see cref="TokenServer"/> with one user.</summary>
public sealed class TokenAuthRegistryFixture : IAsyncLifetime
{
    public const string User = "robot";
    public const string Password = "t0ken-pa55";
    public const string IdentityToken = "identity-token-of-robot";

    private RegistryProcess? _registry;
    private TokenServer? _tokens;

    public RegistryProcess Registry => _registry ?? throw new InvalidOperationException("fixture not started");

    public TokenServer Tokens => _tokens ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync()
    {
        _tokens = TokenServer.Start(
            new Dictionary<string, string> { [User] = Password },
            new Dictionary<string, string> { [IdentityToken] = User });
        _registry = await RegistryProcess.StartAsync(new RegistryProcessOptions { TokenServer = _tokens });
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        if (_tokens is not null)
        {
            await _tokens.DisposeAsync();
        }
    }
}
