namespace ModelCsi.Core.Oci;

/// <summary>
/// One place a repository's content can be asked for: a mirror (with its rewritten repository path,
/// extra headers and no retries: the next endpoint is the retry) or the origin registry.
/// </summary>
internal sealed class RegistryEndpoint
{
    public RegistryEndpoint(Uri baseUri, string repositoryPath, RegistryCredential? credential, int maxRetries, string metricLabel, RegistryMirror? mirror)
    {
        BaseUri = baseUri;
        RepositoryPath = repositoryPath;
        Credential = credential;
        MaxRetries = maxRetries;
        MetricLabel = metricLabel;
        Mirror = mirror;
        PullScope = $"repository:{repositoryPath}:pull";
        // Mirrors are never pushed to.
        PushScope = mirror is null ? $"repository:{repositoryPath}:pull,push" : PullScope;
    }

    /// <summary><c>scheme://host[:port]/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The repository's path on this endpoint (a mirror may add a prefix).</summary>
    public string RepositoryPath { get; }

    /// <summary>What to answer this endpoint's challenges with; null for anonymous.</summary>
    public RegistryCredential? Credential { get; }

    public int MaxRetries { get; }

    /// <summary>The <c>endpoint</c> label for metrics: a configured host, or <c>other</c>.</summary>
    public string MetricLabel { get; }

    /// <summary>Set for a mirror.</summary>
    public RegistryMirror? Mirror { get; }

    public bool IsMirror => Mirror is not null;

    /// <summary>Whether tags (not only digests) are resolved here.</summary>
    public bool ResolvesTags => Mirror?.ResolveTags ?? true;

    public string PullScope { get; }

    public string PushScope { get; }

    /// <summary><c>host[:port]</c>.</summary>
    public string Authority => BaseUri.Authority;

    /// <summary>How messages name it: <c>registry host</c> or <c>mirror host</c>.</summary>
    public string Description(string registry) => Mirror is null ? $"registry {registry}" : $"mirror {Authority}";

    public Uri ManifestUri(string tagOrDigest) => new(BaseUri, $"v2/{RepositoryPath}/manifests/{tagOrDigest}");

    public Uri BlobUri(string digest) => new(BaseUri, $"v2/{RepositoryPath}/blobs/{digest}");

    public Uri UploadsUri => new(BaseUri, $"v2/{RepositoryPath}/blobs/uploads/");
}
