using System.Net;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class BlobRedirectTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_redirected_blob_is_fetched_from_the_other_host_without_the_registry_authorization()
    {
        var name = OciTestContent.UniqueRepository("redirect");
        var content = OciTestContent.RandomBytes(400_000, 41);
        var blob = OciTestContent.Describe(content);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        await client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}")).PushBlobAsync(blob, new MemoryStream(content));
        await using var storage = FaultProxy.Start(fixture.Registry.Host);
        using var front = RedirectingRegistry.Start(storage.Host);
        var repository = client.Repository(OciReference.Parse($"{front.Host}/{name}"), RegistryCredential.Basic("user", "front-secret"));
        using var copy = new MemoryStream();

        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(content, copy.ToArray());
        Assert.True(front.RedirectsSent >= 1);
        var fetched = Assert.Single(storage.Requests, r => r.Method == "GET");
        Assert.False(fetched.HasAuthorization);
    }

    /// <summary>A fake registry front that demands Basic auth and answers blob GETs with 307 to another host.</summary>
    private sealed class RedirectingRegistry : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly string _target;
        private int _redirects;

        private RedirectingRegistry(HttpListener listener, string host, string target)
        {
            _listener = listener;
            Host = host;
            _target = target;
            _ = Task.Run(ServeAsync);
        }

        public string Host { get; }

        public int RedirectsSent => Volatile.Read(ref _redirects);

        public static RedirectingRegistry Start(string target)
        {
            var port = FreePort.Pick();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            return new RedirectingRegistry(listener, $"127.0.0.1:{port}", target);
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

                var response = context.Response;
                if (context.Request.Headers["Authorization"] is null)
                {
                    response.StatusCode = 401;
                    response.AddHeader("WWW-Authenticate", "Basic realm=\"front\"");
                }
                else
                {
                    Interlocked.Increment(ref _redirects);
                    response.StatusCode = 307;
                    response.AddHeader("Location", $"http://{_target}{context.Request.Url!.PathAndQuery}");
                }

                response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}
