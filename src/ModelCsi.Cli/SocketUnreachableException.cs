namespace ModelCsi.Cli;

/// <summary>
/// A driver's unix socket (the CSI endpoint or a dynamic volume's api.sock) is missing or nobody listens on
/// it: one message naming the path, one exit code (5, unavailable) for every command that talks to a socket.
/// An <see cref="HttpRequestException"/> because that is what the exit-code table already maps to "unavailable".
/// </summary>
public sealed class SocketUnreachableException : HttpRequestException
{
    private SocketUnreachableException(string message, Exception? inner)
        : base(HttpRequestError.ConnectionError, message, inner)
    {
    }

    /// <summary>Checks the socket file exists before anything connects to it.</summary>
    /// <exception cref="SocketUnreachableException">There is no file at <paramref name="path"/>.</exception>
    public static void ThrowIfMissing(string path)
    {
        if (!File.Exists(path))
        {
            throw new SocketUnreachableException($"no socket at {path}: is the driver running and is this its socket?", null);
        }
    }

    public static SocketUnreachableException NotListening(string path, Exception inner) =>
        new($"nothing listens on {path} ({inner.Message}): the driver stopped or is restarting", inner);

    /// <summary>The socket failure inside whatever HTTP or gRPC wrapped it, if it is one.</summary>
    public static SocketUnreachableException? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketUnreachableException unreachable)
            {
                return unreachable;
            }
            if (e is Grpc.Core.RpcException rpc && rpc.Status.DebugException is { } debug && Find(debug) is { } found)
            {
                return found;
            }
        }
        return null;
    }
}
