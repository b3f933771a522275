using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Authenticates registry requests as distribution does: sends what the endpoint's last challenge asked
/// for (Basic, or a Bearer token for the request's scope from <see cref="RegistryTokenService"/>), and on a
/// 401 takes the new challenge, drops a rejected token and sends once more. Requests with a body are not
/// resent here (their content may be spent); the 401 goes back and the sender rebuilds the body. Credentials
/// go only to the endpoint's own host and port, never to a redirect target.
/// </summary>
internal sealed class RegistryAuthenticationHandler(ChallengeCache challenges, RegistryTokenService tokens, ILogger logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(RegistryAuthContext.Key, out var context)
            || request.RequestUri is null
            || Uri.Compare(request.RequestUri, context.Endpoint.BaseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var authorization = await AuthorizationAsync(context, rejectedToken: null, cancellationToken);
        request.Headers.Authorization = authorization;
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        bool accepted;
        try
        {
            accepted = await AcceptChallengeAsync(response, context, authorization, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (!accepted || request.Content is not null)
        {
            return response;
        }

        response.Dispose();
        request.Headers.Authorization = await AuthorizationAsync(context, rejectedToken: null, cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync(RegistryAuthContext context, string? rejectedToken, CancellationToken cancellationToken)
    {
        var credential = context.Credential;
        if (credential?.RegistryToken is { } registryToken)
        {
            return new AuthenticationHeaderValue("Bearer", registryToken);
        }

        var authority = context.Endpoint.Authority;
        if (challenges.For(authority) is not { } entry)
        {
            return null;
        }

        if (entry.Challenge.IsBasic)
        {
            return credential is { HasUsernamePassword: true } ? RegistryTokenService.BasicHeader(credential) : null;
        }

        var scope = challenges.ScopeFor(authority, context.Scope);
        var key = new RegistryTokenService.TokenKey(entry.Challenge["realm"]!, entry.Challenge["service"] ?? "", scope, credential, entry.RealmGuarded);
        var token = await tokens.GetTokenAsync(key, $"{context.Registry}/{context.Repository}", rejectedToken, cancellationToken);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Remembers the 401's challenge; false when there is none to answer (the 401 stands).</summary>
    private async Task<bool> AcceptChallengeAsync(HttpResponseMessage response, RegistryAuthContext context, AuthenticationHeaderValue? sent,
        CancellationToken cancellationToken)
    {
        var challenge = AuthChallenge.From(response.Headers);
        if (challenge is null)
        {
            return false;
        }

        var credential = context.Credential;
        Log.Challenged(logger, context.Registry, challenge.Scheme, credential?.Describe() ?? "no credentials");
        var authority = context.Endpoint.Authority;
        if (challenge.IsBasic)
        {
            if (credential is not { HasUsernamePassword: true })
            {
                throw new RegistryAuthException(
                    $"{context.What}: {context.EndpointDescription} requires a username and password for {context.Repository} and {(credential is null ? "none were given" : $"only {context.Who} was given")}",
                    response.StatusCode);
            }

            challenges.Remember(authority, new ChallengeCache.Entry(challenge, RealmGuarded: false));
            return sent?.Scheme != "Basic";
        }

        if (!Uri.TryCreate(challenge["realm"], UriKind.Absolute, out var realm))
        {
            throw new RegistryAuthException($"{context.What}: {context.EndpointDescription} sent a Bearer challenge without a usable realm", response.StatusCode);
        }

        // The realm is chosen by the registry and receives the credentials: the same rules as for redirects.
        var guarded = await RedirectPolicy.CheckAsync(context.Endpoint.BaseUri, realm, $"{context.What}: token realm", cancellationToken, plainHttpFromInternal: true);
        challenges.Remember(authority, new ChallengeCache.Entry(challenge, guarded));
        var scope = challenge["scope"] ?? context.Scope;
        if (scope != context.Scope)
        {
            challenges.RememberScope(authority, context.Scope, scope);
        }

        // Drops the cached token if the registry just rejected it (expired or revoked early).
        _ = await AuthorizationAsync(context, sent?.Scheme == "Bearer" ? sent.Parameter : null, cancellationToken);
        return true;
    }
}
