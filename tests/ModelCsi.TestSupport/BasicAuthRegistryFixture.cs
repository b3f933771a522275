using Xunit;

namespace ModelCsi.TestSupport;

/// <summary>A test registry behind htpasswd Basic auth with one user, <see cref="User"/>/<see cref="Password"/>.</summary>
public sealed class BasicAuthRegistryFixture : IAsyncLifetime
{
    public const string User = "puller";
    public const string Password = "s3cret-pa55";

    private RegistryProcess? _registry;

    public RegistryProcess Registry => _registry ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync() =>
        _registry = await RegistryProcess.StartAsync(new RegistryProcessOptions { BasicUsers = new Dictionary<string, string> { [User] = Password } });

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }
}
