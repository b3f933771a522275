using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The one Kestrel listener behind every dynamic volume's socket: the sockets opened here (one per volume, at any
/// time) hand their accepted connections to Kestrel through one queue, each connection already marked with the
/// volume whose socket it came in on. Connections are wrapped by Kestrel's own socket transport, sharing one set of
/// I/O queues and buffer pools, so a volume costs a listening socket and a pending accept, not a server.
/// </summary>
internal sealed class DynamicSocketListener : IConnectionListener
{
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly SocketConnectionContextFactory _connections;
    private readonly ILogger _logger;
    private int _disposed;

    public DynamicSocketListener(ILogger<DynamicSocketListener> logger)
    {
        _logger = logger;
        // Two I/O queues are plenty for small JSON requests; the default (one per core, up to 16) only adds pools.
        _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions { IOQueueCount = 2 }, logger);
    }

    public EndPoint EndPoint { get; } = new DynamicSocketEndPoint();

    /// <summary>Binds the volume's socket (refusing one another process still serves) and starts accepting on it.</summary>
    /// <exception cref="IOException">The socket is served by another process, or cannot be bound.</exception>
    public DynamicVolumeSocket Open(DynamicVolume volume) =>
        DynamicVolumeSocket.Open(volume, socket => _connections.Create(socket), connection => _accepted.Writer.TryWrite(connection), _logger);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Unbound: Kestrel's accept loop ends on null.
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var left))
        {
            left.Abort(new ConnectionAbortedException("the dynamic-volume API is stopping"));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Called by Kestrel when it stops, and by the server after that: once is enough.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await UnbindAsync();
        _connections.Dispose();
    }
}
