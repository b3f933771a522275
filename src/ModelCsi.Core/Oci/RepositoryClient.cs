namespace ModelCsi.Core.Oci;

/// <summary>
/// Pulls and pushes manifests and blobs of one repository. Pulls try the registry's mirrors, then the
/// registry; pushes go to the registry. Authentication, retries and redirects happen below (see
/// <see cref="RegistryAuthenticationHandler"/> and <see cref="RegistryRequestSender"/>); blob downloads resume
/// after dropped connections.
/// </summary>
public sealed class RepositoryClient
{
    private readonly RepositoryEndpoints _endpoints;
    private readonly RegistryClient _registry;
    private readonly ManifestStore _manifests;
    private readonly BlobStore _blobs;
    private readonly ReferrersStore _referrers;

    internal RepositoryClient(RegistryClient registry, OciReference reference, RegistryCredential? credential)
    {
        _registry = registry;
        _endpoints = new RepositoryEndpoints(registry, reference, credential);
        _manifests = new ManifestStore(registry, _endpoints);
        _blobs = new BlobStore(registry, _endpoints);
        _referrers = new ReferrersStore(registry, _endpoints);
    }

    public OciReference Reference => _endpoints.Reference;

    /// <summary>The origin registry's <c>scheme://host[:port]/</c>.</summary>
    public Uri BaseUri => _endpoints.Origin.BaseUri;

    /// <summary>GET /v2/ at the origin: checks that the registry answers and that our credentials (if asked for) are accepted.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        var origin = _endpoints.Origin;
        using var response = await _registry.Sender.SendAsync(origin, Reference, new RequestPlan(HttpMethod.Get, new Uri(origin.BaseUri, "v2/"), "", "ping"),
            cancellationToken);
        await RegistryResponses.EnsureSuccessAsync(response, origin, Reference.Registry, Reference.Repository, "ping", cancellationToken);
    }

    /// <summary>Fetches a manifest or index by tag or digest and pins it to the sha256 of its bytes; oversized or malformed ones are refused.</summary>
    public Task<ManifestResponse> GetManifestAsync(string tagOrDigest, CancellationToken cancellationToken = default) =>
        _manifests.GetAsync(tagOrDigest, cancellationToken);

    /// <summary>
    /// Lists the manifests that refer to <paramref name="digest"/> through the OCI 1.1 referrers API, at the origin.
    /// Null when the registry does not offer the API (docker-registry 2.8 answers 404; some 400 or 405).
    /// </summary>
    public Task<OciIndex?> GetReferrersAsync(string digest, CancellationToken cancellationToken = default) =>
        _referrers.GetAsync(digest, cancellationToken);

    /// <summary>
    /// Opens the blob's bytes from <paramref name="offset"/>. The stream resumes with a Range request
    /// when the connection drops, never yields more than the descriptor's size, and does not verify
    /// the digest (wrap it in <see cref="DigestVerifyingStream"/>, or use <see cref="FetchBlobAsync"/>).
    /// </summary>
    public Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset = 0, CancellationToken cancellationToken = default) =>
        _blobs.OpenAsync(blob, offset, cancellationToken);

    /// <summary>Downloads a blob into <paramref name="destination"/>, verifying size and sha256.</summary>
    public async Task FetchBlobAsync(OciDescriptor blob, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await using var verifying = new DigestVerifyingStream(await OpenBlobAsync(blob, 0, cancellationToken), blob);
        await verifying.CopyToAsync(destination, 1 << 20, cancellationToken);
    }

    /// <summary>HEAD on the blob at the origin: true when the repository has it.</summary>
    public Task<bool> BlobExistsAsync(string digest, CancellationToken cancellationToken = default) =>
        _blobs.ExistsAsync(digest, cancellationToken);

    /// <summary>
    /// Uploads a blob unless the repository already has it (returns false then). The content is streamed
    /// in one monolithic PUT; the registry checks it against the descriptor's digest.
    /// </summary>
    public Task<bool> PushBlobAsync(OciDescriptor blob, Stream content, CancellationToken cancellationToken = default) =>
        _blobs.PushAsync(blob, content, cancellationToken);

    /// <summary>PUTs a manifest under a tag (or digest); returns the digest of its bytes.</summary>
    public Task<string> PushManifestAsync(string tagOrDigest, string mediaType, byte[] content, CancellationToken cancellationToken = default) =>
        _manifests.PushAsync(tagOrDigest, mediaType, content, cancellationToken);
}
