using System.Net.Sockets;
using Grpc.Net.Client;

namespace ModelCsi.Cli.Commands;

/// <summary>A gRPC channel to a CSI driver's unix socket, as kubelet and the sidecars open one.</summary>
public static class CsiChannel
{
    public static GrpcChannel Open(string endpoint)
    {
        var path = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        if (!path.StartsWith('/'))
        {
            throw new CliUsageException($"endpoint '{endpoint}' must be unix:///absolute/path.sock");
        }

        SocketUnreachableException.ThrowIfMissing(path);

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw SocketUnreachableException.NotListening(path, e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        // The authority must be "localhost": Kestrel resets HTTP/2 streams whose :authority is the socket path.
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }
}
