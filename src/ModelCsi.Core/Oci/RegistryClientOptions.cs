namespace ModelCsi.Core.Oci;

/// <summary>Settings of a <see cref="RegistryClient"/>: per-host transport, retries and timeouts.</summary>
public sealed class RegistryClientOptions
{
    /// <summary>Per-host settings keyed by <c>host[:port]</c> as written in references.</summary>
    public Dictionary<string, RegistryHostOptions> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Retries after the first attempt for 5xx, 429 and connection errors.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Delay before the first retry; doubles with each retry up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for response headers of one request.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a blob body may stall before the connection is dropped and the download resumed.</summary>
    public TimeSpan BlobReadStallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Slowest blob transfer accepted, averaged over each <see cref="BlobReadStallTimeout"/>; slower counts as a stall
    /// (the download resumes, at most <see cref="MaxBlobResumes"/> times). With it, a blob of size S takes at most about
    /// S / rate plus one window per resume. 0: no minimum.
    /// </summary>
    public long MinBlobBytesPerSecond { get; set; } = 1024;

    /// <summary>How many times one blob download may resume after a dropped connection.</summary>
    public int MaxBlobResumes { get; set; } = 5;

    public int MaxRedirects { get; set; } = 5;

    /// <summary>Largest manifest or index accepted; a larger one is refused while it is read, as a corrupt artifact.</summary>
    public long MaxManifestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest config blob a manifest may declare.</summary>
    public long MaxConfigBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest layer a manifest may declare (1 TiB): anything larger is taken for a hostile or broken manifest.</summary>
    public long MaxBlobBytes { get; set; } = 1L << 40;

    /// <summary>
    /// Registries references may name: <c>host</c> (any port), <c>host:port</c>, or <c>*.domain</c> (its subdomains).
    /// Empty: any registry. A reference to another registry fails with <see cref="RegistryNotAllowedException"/>;
    /// configured mirrors are always allowed.
    /// </summary>
    public IList<string> AllowedRegistries { get; } = [];

    public string UserAgent { get; set; } = "modelcsi/0.1";

    /// <summary>HTTP(S) proxy for every registry request (<c>http://proxy:3128</c>); null: none (environment proxies are not used).</summary>
    public string? HttpProxy { get; set; }

    /// <summary>Hosts reached without the proxy: exact names, <c>.suffix</c> / <c>*.suffix</c> domains, IP addresses.</summary>
    public IList<string> NoProxy { get; } = [];

    public RegistryHostOptions ForHost(string registry) =>
        Hosts.TryGetValue(registry, out var host) ? host : new RegistryHostOptions();
}
