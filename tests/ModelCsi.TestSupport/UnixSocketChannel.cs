using System.Net.Sockets;
using Grpc.Net.Client;

namespace ModelCsi.TestSupport;

/// <summary>gRPC channels to a driver's unix socket, opened the way kubelet and the CSI sidecars open them.</summary>
public static class UnixSocketChannel
{
    /// <summary>
    /// A channel over the unix socket. The address must be http://localhost: Kestrel resets HTTP/2 streams
    /// whose :authority is the socket path.
    /// </summary>
    public static GrpcChannel Create(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }
}
