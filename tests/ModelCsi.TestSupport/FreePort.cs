using System.Net;
using System.Net.Sockets;

namespace ModelCsi.TestSupport;

/// <summary>Picks a loopback TCP port nobody listens on (by binding port 0 and letting it go).</summary>
public static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
