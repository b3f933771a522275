namespace ModelCsi.Driver;

/// <summary>The CSI_ENDPOINT address: only unix:///absolute/path is supported, as the CSI spec requires.</summary>
internal static class CsiEndpoint
{
    private const string Scheme = "unix://";

    public static bool TryParse(string? endpoint, out string socketPath, out string error)
    {
        socketPath = "";
        error = "";
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            error = "endpoint is empty (--endpoint or CSI_ENDPOINT, e.g. unix:///csi/csi.sock)";
            return false;
        }
        if (!endpoint.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = $"endpoint '{endpoint}' is not a unix:// address";
            return false;
        }
        var path = endpoint[Scheme.Length..];
        if (!path.StartsWith('/'))
        {
            error = $"endpoint '{endpoint}' must name an absolute socket path (unix:///path/csi.sock)";
            return false;
        }
        // The spec requires it, and it keeps the stale-socket cleanup from deleting anything but a socket file.
        if (!path.EndsWith(".sock", StringComparison.Ordinal))
        {
            error = $"endpoint '{endpoint}' must end with .sock";
            return false;
        }
        socketPath = path;
        return true;
    }

    public static string SocketPath(string endpoint) =>
        TryParse(endpoint, out var path, out var error) ? path : throw new ArgumentException(error, nameof(endpoint));

    /// <summary>
    /// Creates the socket directory and removes a socket file left by a previous run, which would make bind fail.
    /// A socket something still answers on belongs to a running instance and is left alone.
    /// </summary>
    /// <exception cref="Options.DriverConfigurationException">Another process serves on the socket.</exception>
    public static void PrepareSocketPath(string socketPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        var existing = new FileInfo(socketPath);
        if (existing.Exists || existing.LinkTarget is not null)
        {
            ThrowIfServed(socketPath);
            existing.Delete();
        }
    }

    /// <summary>Fails the start when a live process listens on the socket: deleting its file would cut off its clients.</summary>
    /// <exception cref="Options.DriverConfigurationException">Something accepts connections on the socket.</exception>
    public static void ThrowIfServed(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return;
        }
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        }
        catch (System.Net.Sockets.SocketException)
        {
            // ECONNREFUSED (nobody listens: a stale file) or not a socket at all: the file may be replaced.
            return;
        }
        throw new Options.DriverConfigurationException($"endpoint unix://{socketPath} is served by another running process; stop it first");
    }
}
