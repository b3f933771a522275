using System.Net;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ModelCsi.Core.Oci;

/// <summary>
/// The entry point for talking to OCI registries. Holds the HTTP connection pools and the token cache
/// shared by all repositories; create one per process and hand out <see cref="Repository"/> clients.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _verifying;
    private readonly Lazy<HttpClient> _insecure;

    public RegistryClient(RegistryClientOptions? options = null, ILogger<RegistryClient>? logger = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new RegistryClientOptions();
        Logger = logger ?? (ILogger)NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        Tokens = new RegistryTokenService(this);
        _verifying = CreateHttpClient(skipTlsVerify: false);
        _insecure = new Lazy<HttpClient>(() => CreateHttpClient(skipTlsVerify: true));
    }

    internal RegistryClientOptions Options { get; }

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    internal RegistryTokenService Tokens { get; }

    /// <summary>A client for one repository; <paramref name="credential"/> is used only when the registry asks for it.</summary>
    public RepositoryClient Repository(OciReference reference, RegistryCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new RepositoryClient(this, reference, credential);
    }

    /// <summary><c>http(s)://endpoint/</c> for a registry, following Docker's plain-HTTP default for loopback hosts.</summary>
    public Uri BaseUri(OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var plain = Options.ForHost(reference.Registry).PlainHttp ?? IsLoopback(reference.RegistryHostName);
        return new Uri($"{(plain ? "http" : "https")}://{reference.RegistryEndpoint}/");
    }

    internal static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    internal HttpClient HttpClientFor(Uri uri) =>
        Options.ForHost(uri.IsDefaultPort ? uri.Host : uri.Authority).SkipTlsVerify ? _insecure.Value : _verifying;

    internal TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(Options.InitialBackoff.Ticks * factor, Options.MaxBackoff.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private HttpClient CreateHttpClient(bool skipTlsVerify)
    {
        var handler = new SocketsHttpHandler
        {
            // Redirects are followed by hand so the registry's Authorization never reaches another host.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = Options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseCookies = false,
        };
        if (skipTlsVerify)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            };
        }

        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
        return client;
    }

    public void Dispose()
    {
        _verifying.Dispose();
        if (_insecure.IsValueCreated)
        {
            _insecure.Value.Dispose();
        }
    }
}
