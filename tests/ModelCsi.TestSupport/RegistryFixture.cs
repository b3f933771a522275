using Xunit;

namespace ModelCsi.TestSupport;

/// <summary>One anonymous test registry shared by the tests of a class or collection.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    private RegistryProcess? _registry;

    public RegistryProcess Registry => _registry ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync() => _registry = await RegistryProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }
}
