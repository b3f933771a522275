using System.Text.Json;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>Runtime settings the driver ships with, read from the runtimeconfig.json its build produced.</summary>
public sealed class DriverRuntimeConfigTests
{
    [Fact]
    public void Idle_thread_pool_workers_sleep_instead_of_spinning()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "modelcsi-driver.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit),
            "the driver's runtimeconfig.json does not set the thread pool's spin limit");
        Assert.Equal(0, limit.ValueKind == JsonValueKind.Number ? limit.GetInt32() : int.Parse(limit.GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
