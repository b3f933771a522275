using ModelCsi.Driver.Tests.Support;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>One driver process in node mode shared by the read-only tests of a class.</summary>
public sealed class DriverProcessFixture : IAsyncLifetime
{
    public const string NodeId = "test-node-1";

    public DriverProcess Driver { get; private set; } = null!;

    public async Task InitializeAsync() => Driver = await DriverProcess.StartAsync(null, "--node-id", NodeId);

    public async Task DisposeAsync() => await Driver.DisposeAsync();
}
