using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The one HTTP/1.1 server (one Kestrel, one heartbeat thread) behind every dynamic volume's socket. Kestrel cannot
/// add listeners once started, so it listens on one <see cref="DynamicSocketEndPoint"/> whose transport multiplexes
/// the volumes' sockets, opened and closed as volumes are published and unpublished. Started with the first volume;
/// it logs nothing (as the per-volume servers before it), the API answers its errors to the pod.
/// </summary>
internal sealed class DynamicVolumeServer(ILogger<DynamicSocketListener> logger) : IAsyncDisposable
{
    /// <summary>A mount request is a name, a reference and a selection: a few hundred bytes.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    private static readonly IServiceProvider EmptyServices = new ServiceCollection().BuildServiceProvider();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DynamicSocketListener _listener = new(logger);
    private KestrelServer? _server;
    private bool _disposed;

    /// <summary>Opens the volume's socket on the server, starting the server first if this is the first volume.</summary>
    /// <exception cref="IOException">Another process serves on the socket, or it cannot be bound.</exception>
    public async Task<DynamicVolumeSocket> OpenAsync(DynamicVolume volume, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _server ??= await StartAsync(cancellationToken);
            return _listener.Open(volume);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Driver shutdown: the volumes' sockets are closed by their owner first; this stops the server itself.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_server is not null)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _server.StopAsync(timeout.Token);
                _server.Dispose();
            }
            await _listener.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<KestrelServer> StartAsync(CancellationToken cancellationToken)
    {
        // Kestrel alone: no host, configuration or routing of its own for four routes (it wants a service provider; an empty one does).
        var options = new KestrelServerOptions { ApplicationServices = EmptyServices };
        options.Listen(_listener.EndPoint, listen => listen.Protocols = HttpProtocols.Http1);
        options.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        var server = new KestrelServer(Microsoft.Extensions.Options.Options.Create(options), new DynamicSocketTransport(_listener), NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync(new DynamicVolumeHttpApplication(), cancellationToken);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }
}
