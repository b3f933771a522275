using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// One dynamic volume's unix socket on the shared API server: it accepts connections, marks each with its volume
/// (<see cref="DynamicVolumeConnection"/>) and hands them to Kestrel. Closing it (unpublish, shutdown) stops the
/// accepts, drops every connection still open on it, waits for the requests that were running to end and removes
/// the socket file: after that, nothing that came in on the socket can touch the volume, which may then be torn down.
/// </summary>
internal sealed class DynamicVolumeSocket : IAsyncDisposable
{
    /// <summary>Connections one volume may hold open at once; more are closed as they come, so one pod cannot take the server's memory.</summary>
    public const int MaxConnections = 32;

    private const int Backlog = 16;

    private static readonly UnixFileMode AnyUserReadWrite =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly Lock _lock = new();
    private readonly HashSet<ConnectionContext> _connections = [];
    private readonly Socket _listening;
    private readonly Func<Socket, ConnectionContext> _wrap;
    private readonly Func<ConnectionContext, bool> _handOver;
    private readonly ILogger _logger;
    private Task _accepting = Task.CompletedTask;
    private bool _closed;
    private int _requests;
    private TaskCompletionSource? _requestsDone;

    private DynamicVolumeSocket(DynamicVolume volume, Socket listening, Func<Socket, ConnectionContext> wrap, Func<ConnectionContext, bool> handOver, ILogger logger)
    {
        Volume = volume;
        _listening = listening;
        _wrap = wrap;
        _handOver = handOver;
        _logger = logger;
    }

    public DynamicVolume Volume { get; }

    public string SocketPath => Volume.Layout.Socket;

    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Counts a request in, unless the socket is closing; each request that got in must call <see cref="ExitRequest"/>.</summary>
    public bool TryEnterRequest()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }
            _requests++;
            return true;
        }
    }

    public void ExitRequest()
    {
        lock (_lock)
        {
            if (--_requests == 0)
            {
                _requestsDone?.TrySetResult();
            }
        }
    }

    /// <summary>Binds the socket (0666: any user of the pod may use it) and starts accepting.</summary>
    /// <param name="wrap">Makes a Kestrel connection of an accepted socket.</param>
    /// <param name="handOver">Queues the connection for Kestrel; false when the server is stopping.</param>
    /// <exception cref="IOException">Another process serves on the socket, or it cannot be bound.</exception>
    public static DynamicVolumeSocket Open(DynamicVolume volume, Func<Socket, ConnectionContext> wrap, Func<ConnectionContext, bool> handOver, ILogger logger)
    {
        var path = volume.Layout.Socket;
        RemoveStale(path);
        var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listening.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex)
        {
            // Not deleted: the file that is in the way may be another process's live socket, created since the check.
            listening.Dispose();
            throw new IOException($"cannot bind the dynamic volume socket {path}: {ex.Message}", ex);
        }
        try
        {
            File.SetUnixFileMode(path, AnyUserReadWrite);
            listening.Listen(Backlog);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listening.Dispose();
            File.Delete(path);
            throw new IOException($"cannot listen on the dynamic volume socket {path}: {ex.Message}", ex);
        }
        var socket = new DynamicVolumeSocket(volume, listening, wrap, handOver, logger);
        // Runs until the socket is closed; an accept waits in epoll, not on a thread.
        socket._accepting = Task.Run(socket.AcceptLoopAsync, CancellationToken.None);
        return socket;
    }

    /// <summary>Stops accepting, drops the connections open on the socket, waits for their requests to end and removes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
        }
        _listening.Dispose();
        await _accepting;
        ConnectionContext[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }
        // Aborting first cuts short a request still reading its body, so a slow client cannot hold up an unpublish.
        foreach (var connection in open)
        {
            connection.Abort(new ConnectionAbortedException("the dynamic volume's socket was closed"));
        }
        Task requestsDone;
        lock (_lock)
        {
            requestsDone = _requests == 0 ? Task.CompletedTask : (_requestsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        await requestsDone;
        File.Delete(SocketPath);
    }

    /// <summary>
    /// A socket file left by a killed driver would make the bind fail; one a live process still accepts on belongs to
    /// another driver instance, whose pods would be cut off if it were replaced.
    /// </summary>
    private static void RemoveStale(string path)
    {
        var existing = new FileInfo(path);
        if (!existing.Exists && existing.LinkTarget is null)
        {
            return;
        }
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException)
            {
                // ECONNREFUSED (nobody listens) or not a socket at all: a leftover that may be replaced.
                existing.Delete();
                return;
            }
        }
        throw new IOException($"the dynamic volume socket {path} is served by another running process");
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listening.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (IsClosed)
                {
                    return;
                }
                if (ex is SocketException { SocketErrorCode: SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted })
                {
                    continue;
                }
                // Out of file descriptors and the like: the socket stays, and accepts again once the pressure is off.
                Log.AcceptFailed(_logger, SocketPath, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200));
                continue;
            }
            Accept(accepted);
        }
    }

    private void Accept(Socket accepted)
    {
        ConnectionContext connection;
        lock (_lock)
        {
            if (_closed || _connections.Count >= MaxConnections)
            {
                accepted.Dispose();
                return;
            }
            connection = _wrap(accepted);
            connection.Features.Set(new DynamicVolumeConnection(this));
            _connections.Add(connection);
        }
        connection.ConnectionClosed.Register(static state =>
        {
            var (socket, closed) = ((DynamicVolumeSocket, ConnectionContext))state!;
            lock (socket._lock)
            {
                socket._connections.Remove(closed);
            }
        }, (this, connection));
        if (!_handOver(connection))
        {
            connection.Abort(new ConnectionAbortedException("the dynamic-volume API is stopping"));
        }
    }
}
