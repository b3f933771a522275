namespace ModelCsi.Core.Oci;

/// <summary>
/// What <see cref="RegistryAuthenticationHandler"/> needs to authenticate one request, carried in the
/// request's options. Requests without it (token fetches, redirect hops) pass the handler untouched.
/// </summary>
/// <param name="Endpoint">The endpoint the request is for; only requests to its host and port get credentials.</param>
/// <param name="Registry">The reference's registry, for messages.</param>
/// <param name="Repository">The reference's repository, for messages.</param>
/// <param name="Scope">The token scope asked for.</param>
/// <param name="What">How messages name the request.</param>
internal sealed record RegistryAuthContext(RegistryEndpoint Endpoint, string Registry, string Repository, string Scope, string What)
{
    public static readonly HttpRequestOptionsKey<RegistryAuthContext> Key = new("modelcsi.auth");

    public RegistryCredential? Credential => Endpoint.Credential;

    public string Who => Credential?.Describe() ?? "anonymous access";

    public string EndpointDescription => Endpoint.Description(Registry);
}
