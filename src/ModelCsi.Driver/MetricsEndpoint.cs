using System.Globalization;
using System.Net;

namespace ModelCsi.Driver;

/// <summary>Parses <c>--metrics-address</c>: <c>:9090</c> (every address), <c>127.0.0.1:9090</c>, <c>[::1]:9090</c>.</summary>
internal static class MetricsEndpoint
{
    /// <param name="endpoint">The address to listen on; its address is <see cref="IPAddress.Any"/> for "every address".</param>
    public static bool TryParse(string address, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = address[..colon].Trim('[', ']');
        IPAddress? ip;
        if (host.Length == 0)
        {
            ip = IPAddress.Any;
        }
        else if (host == "localhost")
        {
            ip = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out ip))
        {
            return false;
        }

        endpoint = new IPEndPoint(ip, port);
        return true;
    }
}
