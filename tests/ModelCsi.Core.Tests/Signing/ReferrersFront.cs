using System.Net;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>
/// An HTTP front for a docker-registry 2.8 (which has no referrers API) that answers
/// <c>GET /v2/&lt;repo&gt;/referrers/&lt;digest&gt;</c> with a given OCI index and forwards every other GET and HEAD.
/// </summary>
internal sealed class ReferrersFront : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new();
    private readonly string _upstreamHost;
    private readonly string _referrersPath;
    private readonly string _index;
    private readonly Task _loop;

    public ReferrersFront(string upstreamHost, string repository, string digest, string index, int port)
    {
        _upstreamHost = upstreamHost;
        _referrersPath = $"/v2/{repository}/referrers/{digest}";
        _index = index;
        Host = $"127.0.0.1:{port}";
        _listener.Prefixes.Add($"http://{Host}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Host { get; }

    public int ReferrersRequests { get; private set; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                await AnswerAsync(context);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        if (path == _referrersPath)
        {
            ReferrersRequests++;
            var body = System.Text.Encoding.UTF8.GetBytes(_index);
            context.Response.ContentType = "application/vnd.oci.image.index.v1+json";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), $"http://{_upstreamHost}{context.Request.RawUrl}");
        foreach (var accept in context.Request.AcceptTypes ?? [])
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _upstream.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        var content = await response.Content.ReadAsByteArrayAsync();
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var digests))
        {
            context.Response.AddHeader("Docker-Content-Digest", digests.First());
        }

        context.Response.ContentLength64 = response.Content.Headers.ContentLength ?? content.Length;
        if (context.Request.HttpMethod != "HEAD")
        {
            await context.Response.OutputStream.WriteAsync(content);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close alone: after Stop, the managed HttpListener's Close binds the port again to release it, and fails
        // when another test took the port in between.
        _listener.Close();
        await _loop;
        _upstream.Dispose();
    }
}
