using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace ModelCsi.TestSupport;

/// <summary>
/// A registry that lies, on 127.0.0.1: each request is answered by a test-supplied function (redirects to
/// forbidden places, endless manifests, megabyte error bodies full of control characters, challenges with
/// hostile realms). Records every request path and the body bytes it managed to send.
/// </summary>
public sealed class HostileRegistry : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _answer;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _serving;
    private long _bodyBytesSent;

    private HostileRegistry(HttpListener listener, int port, Func<HttpListenerContext, Task> answer)
    {
        _listener = listener;
        _answer = answer;
        Port = port;
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary><c>METHOD /path</c> of every request received.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Response body bytes written before the client stopped reading.</summary>
    public long BodyBytesSent => Interlocked.Read(ref _bodyBytesSent);

    /// <summary>Starts a server that answers every request with <paramref name="answer"/>.</summary>
    public static HostileRegistry Start(Func<HttpListenerContext, Task> answer)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort.Pick();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new HostileRegistry(listener, port, answer);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Someone took the port between picking and binding.
                listener.Close();
            }
        }
    }

    /// <summary>Answers <paramref name="status"/> with a <c>Location</c> header.</summary>
    public static void Redirect(HttpListenerContext context, string location, int status = 307)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.AddHeader("Location", location);
        context.Response.Close();
    }

    /// <summary>Answers with a fixed body.</summary>
    public static async Task TextAsync(HttpListenerContext context, int status, string contentType, string body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes of <paramref name="fill"/> (repeated), declaring the length or
    /// chunked, and counts what got out before the client hung up.
    /// </summary>
    public async Task StreamAsync(HttpListenerContext context, int status, string contentType, long length, byte fill, bool declareLength)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        if (declareLength)
        {
            response.ContentLength64 = length;
        }
        else
        {
            response.SendChunked = true;
        }

        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, fill);
        try
        {
            for (long sent = 0; sent < length; sent += chunk.Length)
            {
                var n = (int)Math.Min(chunk.Length, length - sent);
                await response.OutputStream.WriteAsync(chunk.AsMemory(0, n));
                Interlocked.Add(ref _bodyBytesSent, n);
            }

            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            response.Abort();
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _requests.Enqueue($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
            _ = Task.Run(async () =>
            {
                try
                {
                    await _answer(context);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    context.Response.Abort();
                }
            });
        }
    }

    public void Dispose()
    {
        // Close alone: after Stop, the managed HttpListener's Close binds the port again to release it, and fails
        // when another test took the port in between.
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}
