using System.Net.Sockets;

namespace ModelCsi.Driver;

/// <summary>How the driver reports a start it cannot make: one line on stderr and exit code 2.</summary>
internal static class DriverStartup
{
    public const int InvalidConfigurationExitCode = 2;

    public static async Task<int> FailAsync(string reason)
    {
        await Console.Error.WriteLineAsync($"modelcsi-driver: invalid configuration: {OneLine(reason)}");
        return InvalidConfigurationExitCode;
    }

    /// <summary>
    /// Fails the start when the metrics port is taken, before anything else starts: Kestrel would find out only
    /// after the cache is opened, and report it among the host's start-up lines.
    /// </summary>
    /// <exception cref="Options.DriverConfigurationException">The address cannot be bound.</exception>
    public static void CheckMetricsAddressFree(string? metricsAddress)
    {
        if (string.IsNullOrEmpty(metricsAddress) || !MetricsEndpoint.TryParse(metricsAddress, out var endpoint) || endpoint.Port == 0)
        {
            return;
        }
        var probe = new TcpListener(endpoint);
        try
        {
            probe.Start();
        }
        catch (SocketException e)
        {
            throw new Options.DriverConfigurationException($"metrics address {metricsAddress}: {e.Message}");
        }
        finally
        {
            probe.Stop();
        }
    }

    /// <summary>A listener that could not be opened: the port is taken or the address is not this host's.</summary>
    public static bool IsBindFailure(IOException exception) =>
        exception.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable or SocketError.AccessDenied }
        || exception.GetType().Name == "AddressInUseException"
        || exception.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal);

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
