using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Fetches bearer tokens from a registry's token service (distribution token auth), caches them per
/// realm, service, scope and credential until they expire, and collapses concurrent requests for the
/// same key into one.
/// </summary>
internal sealed class RegistryTokenService
{
    // Tokens are a few kilobytes; a token service that sends more is not one.
    private const int MaxTokenResponseBytes = 1024 * 1024;

    private readonly RegistryClient _client;
    private readonly ConcurrentDictionary<TokenKey, IssuedToken> _cache = new();
    private readonly ConcurrentDictionary<TokenKey, Lazy<Task<IssuedToken>>> _inFlight = new();

    public RegistryTokenService(RegistryClient client) => _client = client;

    public async Task<string> GetTokenAsync(TokenKey key, string registryAndRepository, string? rejectedToken, CancellationToken cancellationToken)
    {
        var now = _client.TimeProvider.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached))
        {
            if (cached.ExpiresAt > now && cached.Token != rejectedToken)
            {
                return cached.Token;
            }

            _cache.TryRemove(new KeyValuePair<TokenKey, IssuedToken>(key, cached));
        }

        var lazy = _inFlight.GetOrAdd(key, k => new Lazy<Task<IssuedToken>>(() => FetchAsync(k, registryAndRepository)));
        try
        {
            var issued = await lazy.Value.WaitAsync(cancellationToken);
            _cache[key] = issued;
            return issued.Token;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<TokenKey, Lazy<Task<IssuedToken>>>(key, lazy));
        }
    }

    // Shared by every waiter, so it must not observe one caller's cancellation; bounded by the response timeout.
    private async Task<IssuedToken> FetchAsync(TokenKey key, string registryAndRepository)
    {
        var options = _client.Options;
        var credential = key.Credential;
        var who = credential?.Describe() ?? "anonymous";
        // Realm, service and scope come from the registry's challenge: quoted only as short escaped excerpts.
        var realm = ResponseExcerpt.Sanitise(key.Realm, 120);
        var scope = ResponseExcerpt.Sanitise(key.Scope, 120);
        Log.FetchingToken(_client.Logger, realm, ResponseExcerpt.Sanitise(key.Service, 120), scope, who);

        for (var attempt = 0; ; attempt++)
        {
            using var request = BuildRequest(key);
            using var timeout = new CancellationTokenSource(options.ResponseTimeout, _client.TimeProvider);
            HttpResponseMessage response;
            try
            {
                response = await _client.HttpClientFor(request.RequestUri!, key.Guarded).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (HttpRequestException e) when (e.InnerException is RegistryNotAllowedException refused)
            {
                throw new RegistryNotAllowedException($"token service for {registryAndRepository}: {refused.Message}", innerException: e);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                if (attempt >= options.MaxRetries)
                {
                    throw new RegistryUnavailableException($"token service {realm} for {registryAndRepository} is unreachable: {e.Message}", innerException: e);
                }

                var delay = _client.Backoff(attempt);
                Log.RetryingRequest(_client.Logger, request.Method.Method, request.RequestUri!, e.Message, attempt + 1, options.MaxRetries, delay);
                await Task.Delay(delay, _client.TimeProvider);
                continue;
            }

            using (response)
            {
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new RegistryAuthException(
                        $"token service {realm} refused {who} for {registryAndRepository} (scope '{scope}'): HTTP {(int)response.StatusCode}",
                        response.StatusCode);
                }

                if (((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) && attempt < options.MaxRetries)
                {
                    var delay = _client.Backoff(attempt);
                    Log.RetryingRequest(_client.Logger, request.Method.Method, request.RequestUri!, $"HTTP {(int)response.StatusCode}", attempt + 1, options.MaxRetries, delay);
                    await Task.Delay(delay, _client.TimeProvider);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new RegistryException(
                        $"token service {realm} failed for {registryAndRepository}: HTTP {(int)response.StatusCode} {ResponseExcerpt.Sanitise(response.ReasonPhrase, 60)}",
                        response.StatusCode);
                }

                byte[] body;
                try
                {
                    body = await RegistryResponses.ReadLimitedAsync(response, MaxTokenResponseBytes, $"token service {realm} response", timeout.Token);
                }
                catch (ModelPackFormatException e)
                {
                    throw new RegistryException(e.Message, response.StatusCode, innerException: e);
                }

                TokenResponse? parsed;
                try
                {
                    parsed = JsonSerializer.Deserialize<TokenResponse>(body);
                }
                catch (JsonException e)
                {
                    throw new RegistryException($"token service {realm} returned invalid JSON: {e.Message}", response.StatusCode, innerException: e);
                }

                var token = parsed?.Token ?? parsed?.AccessToken;
                if (string.IsNullOrEmpty(token))
                {
                    throw new RegistryException($"token service {realm} returned neither 'token' nor 'access_token'", response.StatusCode);
                }

                // The spec's default lifetime is 60 s; renew a little early so a token never expires in flight.
                var lifetime = parsed!.ExpiresIn is > 0 ? parsed.ExpiresIn.Value : 60;
                var margin = Math.Min(30, lifetime / 5);
                var expiresAt = _client.TimeProvider.GetUtcNow().AddSeconds(lifetime - margin);
                Log.TokenIssued(_client.Logger, realm, scope, expiresAt);
                return new IssuedToken(token, expiresAt);
            }
        }
    }

    private static HttpRequestMessage BuildRequest(TokenKey key)
    {
        var credential = key.Credential;
        if (credential?.IdentityToken is { } identityToken)
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", identityToken),
                new("service", key.Service),
                new("client_id", "modelcsi"),
            };
            if (key.Scope.Length > 0)
            {
                form.Add(new("scope", key.Scope));
            }

            return new HttpRequestMessage(HttpMethod.Post, key.Realm) { Content = new FormUrlEncodedContent(form) };
        }

        var query = new StringBuilder();
        if (key.Service.Length > 0)
        {
            query.Append("service=").Append(Uri.EscapeDataString(key.Service));
        }

        if (key.Scope.Length > 0)
        {
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(key.Scope));
        }

        var builder = new UriBuilder(key.Realm);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + query : query.ToString();
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is { HasUsernamePassword: true })
        {
            request.Headers.Authorization = BasicHeader(credential);
        }

        return request;
    }

    public static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    /// <param name="Guarded">The realm is on another host than the registry and must not resolve to an internal address.</param>
    internal readonly record struct TokenKey(string Realm, string Service, string Scope, RegistryCredential? Credential, bool Guarded);

    private sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

    private sealed record TokenResponse
    {
        [JsonPropertyName("token")]
        public string? Token { get; init; }

        [JsonPropertyName("access_token")]
        public string? AccessToken { get; init; }

        [JsonPropertyName("expires_in")]
        public int? ExpiresIn { get; init; }
    }
}
