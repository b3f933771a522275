namespace ModelCsi.Core.Oci;

/// <summary>One logical request to a registry endpoint, which may take several sends (retries, a challenge, redirects).</summary>
/// <param name="Scope">The token scope it needs, e.g. <c>repository:foo:pull</c>; empty for none.</param>
/// <param name="What">How messages name it, e.g. <c>manifest registry/repo:tag</c>.</param>
internal sealed record RequestPlan(HttpMethod Method, Uri Uri, string Scope, string What)
{
    public Action<HttpRequestMessage>? Configure { get; init; }

    /// <summary>Creates the body for a send attempt; returns null when the body cannot be sent again.</summary>
    public Func<int, HttpContent?>? Content { get; init; }

    public bool FollowRedirects { get; init; }

    /// <summary>The URI was chosen by the registry and points elsewhere: connect only to addresses outside the node's network.</summary>
    public bool Guarded { get; init; }

    /// <summary>False when a body stream cannot be rewound: such a request is sent once, never retried.</summary>
    public bool Replayable { get; init; } = true;
}
