using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The one HTTP/1.1 server (one Kestrel, one heartbeat thread) behind every dynamic volume's socket. Kestrel cannot
/// add listeners once started, so it listens on one <see cref="DynamicSocketEndPoint"/> whose transport multiplexes
/// the volumes' sockets, opened and closed as volumes are published and unpublished. Started with the first volume.
/// </summary>
internal sealed class DynamicVolumeServer(ILogger<DynamicSocketListener> logger) : IAsyncDisposable
{
    /// <summary>A mount request is a name, a reference and a selection: a few hundred bytes.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DynamicSocketListener _listener = new(logger);
    private WebApplication? _app;
    private bool _disposed;

    /// <summary>Opens the volume's socket on the server, starting the server first if this is the first volume.</summary>
    /// <exception cref="IOException">Another process serves on the socket, or it cannot be bound.</exception>
    public async Task<DynamicVolumeSocket> OpenAsync(DynamicVolume volume, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _app ??= await StartAsync(cancellationToken);
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
            if (_app is not null)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _app.StopAsync(timeout.Token);
                await _app.DisposeAsync();
            }
            await _listener.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<WebApplication> StartAsync(CancellationToken cancellationToken)
    {
        // The empty builder: no configuration files (no file watchers), no logging providers, no signal hooks.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(_listener.EndPoint, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        });
        builder.Services.AddSingleton<IConnectionListenerFactory>(new DynamicSocketTransport(_listener));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, DetachedHostLifetime>();
        var app = builder.Build();
        DynamicVolumeApi.Map(app);
        await app.StartAsync(cancellationToken);
        return app;
    }
}
