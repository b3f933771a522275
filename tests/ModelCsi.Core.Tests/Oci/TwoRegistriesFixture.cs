using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>An origin and a mirror registry on loopback, both anonymous.</summary>
public sealed class TwoRegistriesFixture : IAsyncLifetime
{
    private RegistryProcess? _origin;
    private RegistryProcess? _mirror;

    public RegistryProcess Origin => _origin ?? throw new InvalidOperationException("fixture not started");

    public RegistryProcess Mirror => _mirror ?? throw new InvalidOperationException("fixture not started");

    public async Task InitializeAsync()
    {
        _origin = await RegistryProcess.StartAsync();
        _mirror = await RegistryProcess.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }

        if (_mirror is not null)
        {
            await _mirror.DisposeAsync();
        }
    }
}
