using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModelCsi.TestSupport;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a registry. It records every HTTP/1.1 request (method, path,
/// Range) and can, once, cut the connection after a given number of response bytes of a matching
/// request, to simulate a download dropped mid-body. Request bodies must carry Content-Length.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProxiedRequest> _requests = [];
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private readonly Lock _lock = new();
    private PendingCut? _cut;
    private PendingFailures? _failures;
    private PendingFailures? _badAuthorizations;
    private Hold? _hold;
    private int _cutsDone;
    private long _responseBytes;

    private FaultProxy(string upstream)
    {
        var colon = upstream.LastIndexOf(':');
        _upstreamHost = upstream[..colon];
        _upstreamPort = int.Parse(upstream[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Host = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _acceptLoop = Task.Run(AcceptAsync);
    }

    /// <summary><c>127.0.0.1:PORT</c> of the proxy; use it as the registry part of references.</summary>
    public string Host { get; }

    /// <summary>Connections cut so far.</summary>
    public int CutsDone => Volatile.Read(ref _cutsDone);

    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Forwards to <paramref name="upstream"/> (<c>host:port</c>).</summary>
    public static FaultProxy Start(string upstream) => new(upstream);

    /// <summary>
    /// The next request whose path contains <paramref name="pathContains"/> gets only
    /// <paramref name="afterResponseBytes"/> bytes of its response (headers included), then the connection is closed.
    /// </summary>
    public void CutResponseOnce(string pathContains, long afterResponseBytes)
    {
        lock (_lock)
        {
            _cut = new PendingCut(pathContains, afterResponseBytes);
        }
    }

    /// <summary>
    /// Every request whose path contains <paramref name="pathContains"/> waits in the proxy, before reaching the
    /// registry, until <see cref="ReleaseHeld"/>; the returned task completes when the first one arrives.
    /// </summary>
    public Task HoldRequests(string pathContains)
    {
        var hold = new Hold(pathContains);
        lock (_lock)
        {
            _hold = hold;
        }

        return hold.Arrived.Task;
    }

    /// <summary>Lets held requests (and later ones) through.</summary>
    public void ReleaseHeld()
    {
        Hold? hold;
        lock (_lock)
        {
            hold = _hold;
            _hold = null;
        }

        hold?.Released.TrySetResult();
    }

    /// <summary>
    /// The next <paramref name="count"/> requests whose path contains <paramref name="pathContains"/> are answered
    /// by the proxy itself with <paramref name="status"/> and never reach the registry.
    /// </summary>
    public void FailNextRequests(string pathContains, int count, int status = 503)
    {
        lock (_lock)
        {
            _failures = new PendingFailures(pathContains, count, status);
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests whose path contains <paramref name="pathContains"/> and that carry
    /// an Authorization header reach the registry with <c>Bearer invalid</c> instead, as if their token had been revoked.
    /// </summary>
    public void InvalidateNextAuthorizations(string pathContains, int count)
    {
        lock (_lock)
        {
            _badAuthorizations = new PendingFailures(pathContains, count, 401);
        }
    }

    /// <summary>Most response bytes per second, per connection (0: unthrottled); slows pulls enough to kill a driver mid-way.</summary>
    public long BytesPerSecond { get; set; }

    /// <summary>Response bytes (headers included) sent to clients since the start or the last <see cref="ResetResponseBytes"/>.</summary>
    public long ResponseBytes => Interlocked.Read(ref _responseBytes);

    public void ResetResponseBytes() => Interlocked.Exchange(ref _responseBytes, 0);

    /// <summary>Drop Range headers before forwarding, like a server that ignores them (it answers 200 with the whole blob).</summary>
    public bool StripRangeHeaders { get; set; }

    public int CountRequests(string method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_lock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => RelayAsync(client)));
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var downstream = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return;
        }

        var connection = new Connection();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var requests = PumpRequestsAsync(downstream.GetStream(), upstream.GetStream(), connection, done.Token);
        var responses = PumpResponsesAsync(upstream.GetStream(), downstream.GetStream(), connection, done.Token);
        await Task.WhenAny(requests, responses);
        await done.CancelAsync();
        downstream.Close();
        upstream.Close();
        try
        {
            await Task.WhenAll(requests, responses);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream upstream, Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (true)
        {
            int headEnd;
            while ((headEnd = IndexOfHeadEnd(buffer, filled)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new IOException("request head too large for the proxy");
                }

                var n = await from.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (n == 0)
                {
                    return;
                }

                filled += n;
            }

            var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            string? range = null;
            var hasAuthorization = false;
            long contentLength = 0;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers[name] = value;
                if (name.Equals("Range", StringComparison.OrdinalIgnoreCase))
                {
                    range = value;
                }
                else if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    hasAuthorization = true;
                }
                else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    contentLength = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            var request = new ProxiedRequest(requestLine[0], requestLine.Length > 1 ? requestLine[1] : "", range, hasAuthorization) { Headers = headers };
            int? failWith = null;
            var invalidateAuthorization = false;
            Task? held = null;
            lock (_lock)
            {
                _requests.Add(request);
                if (_hold is { } hold && request.Path.Contains(hold.PathContains, StringComparison.Ordinal))
                {
                    hold.Arrived.TrySetResult();
                    held = hold.Released.Task;
                }

                if (hasAuthorization && _badAuthorizations is { Count: > 0 } bad && request.Path.Contains(bad.PathContains, StringComparison.Ordinal))
                {
                    _badAuthorizations = bad with { Count = bad.Count - 1 };
                    invalidateAuthorization = true;
                }

                if (_failures is { Count: > 0 } failures && request.Path.Contains(failures.PathContains, StringComparison.Ordinal))
                {
                    _failures = failures with { Count = failures.Count - 1 };
                    failWith = failures.Status;
                }
                else if (_cut is { } cut && request.Path.Contains(cut.PathContains, StringComparison.Ordinal))
                {
                    _cut = null;
                    // Response bytes are counted before they are written, so this is exactly where this request's response starts.
                    Volatile.Write(ref connection.CutAt, Volatile.Read(ref connection.ResponseBytes) + cut.AfterBytes);
                }
            }

            if (held is not null)
            {
                await held.WaitAsync(cancellationToken);
            }

            var headLength = headEnd + 4;
            Stream to = upstream;
            if (failWith is null)
            {
                if ((StripRangeHeaders && range is not null) || invalidateAuthorization)
                {
                    var kept = lines
                        .Where(line => !(StripRangeHeaders && line.StartsWith("Range:", StringComparison.OrdinalIgnoreCase)))
                        .Select(line => invalidateAuthorization && line.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase) ? "Authorization: Bearer invalid" : line);
                    await to.WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", kept) + "\r\n\r\n"), cancellationToken);
                }
                else
                {
                    await to.WriteAsync(buffer.AsMemory(0, headLength), cancellationToken);
                }
            }
            else
            {
                // Answered here; the body (if any) is read and dropped below.
                to = Stream.Null;
                await from.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {failWith} Injected\r\nContent-Length: 0\r\n\r\n"), cancellationToken);
            }

            Buffer.BlockCopy(buffer, headLength, buffer, 0, filled - headLength);
            filled -= headLength;

            var remaining = contentLength;
            var fromBuffer = (int)Math.Min(remaining, filled);
            if (fromBuffer > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, fromBuffer), cancellationToken);
                Buffer.BlockCopy(buffer, fromBuffer, buffer, 0, filled - fromBuffer);
                filled -= fromBuffer;
                remaining -= fromBuffer;
            }

            while (remaining > 0)
            {
                var n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
                if (n == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                remaining -= n;
            }
        }
    }

    private async Task PumpResponsesAsync(NetworkStream from, NetworkStream to, Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await from.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                return;
            }

            var cutAt = Volatile.Read(ref connection.CutAt);
            var sent = Volatile.Read(ref connection.ResponseBytes);
            if (cutAt >= 0 && sent + n >= cutAt)
            {
                var allowed = (int)(cutAt - sent);
                Volatile.Write(ref connection.ResponseBytes, sent + allowed);
                await to.WriteAsync(buffer.AsMemory(0, allowed), cancellationToken);
                await to.FlushAsync(cancellationToken);
                Interlocked.Increment(ref _cutsDone);
                return;
            }

            Volatile.Write(ref connection.ResponseBytes, sent + n);
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            Interlocked.Add(ref _responseBytes, n);
            if (BytesPerSecond > 0)
            {
                // Pacing, not waiting for a condition: each chunk takes the time it would take on a slow link.
                await Task.Delay(TimeSpan.FromSeconds(n / (double)BytesPerSecond), cancellationToken);
            }
        }
    }

    private static int IndexOfHeadEnd(byte[] buffer, int filled) =>
        buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private sealed class Connection
    {
        public long CutAt = -1;
        public long ResponseBytes;
    }

    private sealed record PendingCut(string PathContains, long AfterBytes);

    private sealed record Hold(string PathContains)
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record PendingFailures(string PathContains, int Count, int Status);
}
