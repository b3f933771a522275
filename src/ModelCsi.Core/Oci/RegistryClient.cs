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
    private readonly ConcurrentDictionary<(TlsProfile Tls, bool Guarded), Lazy<HttpClient>> _clients = new();
    private readonly Dictionary<string, TlsProfile> _tlsByAuthority = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _labelledRegistries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<HttpMessageHandler, HttpMessageHandler>? _transport;
    private readonly ChallengeCache _challenges = new();

    /// <param name="transport">
    /// Wraps (or replaces) the network handler of each connection pool, e.g. with a <see cref="DelegatingHandler"/>
    /// that records or rewrites requests in tests. It sees requests as sent, authentication included.
    /// </param>
    public RegistryClient(RegistryClientOptions? options = null, ILogger<RegistryClient>? logger = null, TimeProvider? timeProvider = null,
        IRegistryEndpointObserver? endpointObserver = null, Func<HttpMessageHandler, HttpMessageHandler>? transport = null)
    {
        Options = options ?? new RegistryClientOptions();
        Logger = logger ?? (ILogger)NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        EndpointObserver = endpointObserver;
        _transport = transport;
        Tokens = new RegistryTokenService(this);
        Sender = new RegistryRequestSender(this);
        foreach (var pattern in Options.AllowedRegistries)
        {
            if (!RegistryHostPattern.IsValid(pattern))
            {
                throw new ArgumentException($"allowed registry '{ResponseExcerpt.Sanitise(pattern, 80)}' is not host, host:port or *.domain", nameof(options));
            }

            if (!pattern.Contains('*', StringComparison.Ordinal))
            {
                _labelledRegistries.Add(pattern.Trim());
            }
        }

        _labelledRegistries.UnionWith(Options.Hosts.Keys);

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

    internal RegistryRequestSender Sender { get; }

    /// <summary>
    /// A client for one repository; <paramref name="credential"/> is used only when the registry asks for it.
    /// Throws <see cref="RegistryNotAllowedException"/> for a registry outside <see cref="RegistryClientOptions.AllowedRegistries"/>.
    /// </summary>
    public RepositoryClient Repository(OciReference reference, RegistryCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!IsAllowed(reference.Registry))
        {
            throw new RegistryNotAllowedException(
                $"registry {reference.Registry} is not in the allowed registries ({string.Join(", ", Options.AllowedRegistries)}); refusing '{reference}'");
        }

        return new RepositoryClient(this, reference, credential);
    }

    /// <summary>True when references may name <paramref name="registry"/> (<c>host[:port]</c>).</summary>
    public bool IsAllowed(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return Options.AllowedRegistries.Count == 0 || Options.AllowedRegistries.Any(pattern => RegistryHostPattern.Matches(pattern, registry));
    }

    /// <summary>The metrics label of an origin: its endpoint when the registry is configured, else <c>other</c>.</summary>
    internal string EndpointLabel(string registry, string endpoint) => _labelledRegistries.Contains(registry) ? endpoint : "other";

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

    /// <param name="guarded">Connect only to addresses outside the node's network (<see cref="AddressGuard"/>): for hosts a registry sent us to.</param>
    internal HttpClient HttpClientFor(Uri uri, bool guarded = false)
    {
        var profile = _tlsByAuthority.TryGetValue(uri.Authority, out var byAuthority) ? byAuthority
            : _tlsByAuthority.TryGetValue(uri.Host, out var byHost) ? byHost
            : TlsProfile.Default;
        return _clients.GetOrAdd((profile, guarded), key => new Lazy<HttpClient>(() => CreateHttpClient(key.Tls, key.Guarded))).Value;
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

    private HttpClient CreateHttpClient(TlsProfile tls, bool guarded)
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
            // Guarded pools resolve names themselves and refuse internal addresses; their connections are never
            // shared with requests to configured registries, which may well be internal.
            ConnectCallback = guarded ? AddressGuard.ConnectAsync : null,
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
        var authentication = new RegistryAuthenticationHandler(_challenges, Tokens, Logger)
        {
            InnerHandler = _transport is null ? handler : _transport(handler),
        };
        var client = new HttpClient(authentication) { Timeout = Timeout.InfiniteTimeSpan };
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
