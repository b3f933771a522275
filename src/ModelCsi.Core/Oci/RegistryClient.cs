using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ModelCsi.Core.Oci;

/// <summary>
/// The entry point for talking to OCI registries. Holds the HTTP connection pools and the token cache
/// shared by all repositories; create one per process and hand out <see cref="Repository"/> clients.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly ConcurrentDictionary<TlsProfile, Lazy<HttpClient>> _clients = new();
    private readonly Dictionary<string, TlsProfile> _tlsByAuthority = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClient(RegistryClientOptions? options = null, ILogger<RegistryClient>? logger = null, TimeProvider? timeProvider = null,
        IRegistryEndpointObserver? endpointObserver = null)
    {
        Options = options ?? new RegistryClientOptions();
        Logger = logger ?? (ILogger)NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        EndpointObserver = endpointObserver;
        Tokens = new RegistryTokenService(this);

        // Mirrors first, so a mirror that is also configured as a registry of its own gets that entry's TLS settings.
        foreach (var (host, settings) in Options.Hosts)
        {
            foreach (var mirror in settings.Mirrors)
            {
                var uri = mirror.BaseUri();
                _tlsByAuthority[uri.Authority] = mirror.Tls;
                Log.MirrorConfigured(Logger, host, uri, mirror.RepositoryPath("<repository>"), mirror.SendOriginCredentials);
                if (mirror.SkipTlsVerify)
                {
                    Log.TlsVerificationDisabled(Logger, uri.Authority);
                }
            }
        }

        foreach (var (host, settings) in Options.Hosts)
        {
            _tlsByAuthority[host] = settings.Tls;
            if (host.Equals(OciReference.DockerHub, StringComparison.OrdinalIgnoreCase))
            {
                // Docker Hub's API is on another host than its name.
                _tlsByAuthority["registry-1.docker.io"] = settings.Tls;
            }

            if (settings.SkipTlsVerify)
            {
                Log.TlsVerificationDisabled(Logger, host);
            }
        }
    }

    internal RegistryClientOptions Options { get; }

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    internal IRegistryEndpointObserver? EndpointObserver { get; }

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

    internal HttpClient HttpClientFor(Uri uri)
    {
        var profile = _tlsByAuthority.TryGetValue(uri.Authority, out var byAuthority) ? byAuthority
            : _tlsByAuthority.TryGetValue(uri.Host, out var byHost) ? byHost
            : TlsProfile.Default;
        return _clients.GetOrAdd(profile, p => new Lazy<HttpClient>(() => CreateHttpClient(p))).Value;
    }

    internal TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(Options.InitialBackoff.Ticks * factor, Options.MaxBackoff.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    internal void Observe(RegistryEndpointRequest request)
    {
        if (EndpointObserver is null)
        {
            return;
        }

        try
        {
            EndpointObserver.RequestCompleted(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A broken metrics callback must not fail a pull.
            Log.ObserverFailed(Logger, e.Message);
        }
    }

    private HttpClient CreateHttpClient(TlsProfile tls)
    {
        var handler = new SocketsHttpHandler
        {
            // Redirects are followed by hand so the registry's Authorization never reaches another host.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = Options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = Options.HttpProxy is not null,
            Proxy = Options.HttpProxy is { } proxy ? new RegistryProxy(new Uri(proxy), Options.NoProxy) : null,
        };
        var ssl = new SslClientAuthenticationOptions();
        if (tls.SkipVerify)
        {
            ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (tls.CaBundlePath is { } caBundle)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caBundle);
            // The system's CAs stay trusted: the bundle is tried only when the normal check fails, as containerd adds its ca to the system pool.
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && ChainsTo(certificate, roots));
        }

        if (tls.ClientCertificatePath is { } certificatePath)
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, tls.ClientKeyPath);
            // Re-imported so the key is usable by SslStream on every platform.
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            ssl.ClientCertificates = [certificate];
        }

        handler.SslOptions = ssl;
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
        return client;
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }
    }
}
