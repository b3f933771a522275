using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Pulls and pushes manifests and blobs of one repository. Handles anonymous, Basic and Bearer auth,
/// retries transient failures with exponential backoff, follows blob redirects without leaking the
/// registry's Authorization header, and resumes interrupted blob downloads.
/// </summary>
public sealed partial class RepositoryClient
{
    private static readonly MediaTypeWithQualityHeaderValue[] ManifestAccept =
        [.. OciMediaTypes.AcceptedManifestTypes.Select(type => new MediaTypeWithQualityHeaderValue(type))];

    private readonly RegistryClient _registry;
    private readonly RegistryCredential? _credential;
    private readonly Uri _baseUri;
    private readonly string _pullScope;
    private readonly string _pushScope;
    private readonly Lock _authLock = new();
    private AuthChallenge? _challenge;
    private readonly Dictionary<string, string> _scopeFromChallenge = [];

    // Where requests go: the origin, or one mirror (then _mirror is set and the path may carry a prefix).
    private readonly string _repositoryPath;
    private readonly RegistryMirror? _mirror;
    private readonly int _maxRetries;
    private readonly IReadOnlyList<RepositoryClient> _mirrors;

    internal RepositoryClient(RegistryClient registry, OciReference reference, RegistryCredential? credential)
    {
        _registry = registry;
        Reference = reference;
        _credential = credential;
        _baseUri = registry.BaseUri(reference);
        _repositoryPath = reference.Repository;
        _maxRetries = registry.Options.MaxRetries;
        _pullScope = $"repository:{_repositoryPath}:pull";
        _pushScope = $"repository:{_repositoryPath}:pull,push";
        _mirrors = [.. registry.Options.ForHost(reference.Registry).Mirrors.Select(mirror => new RepositoryClient(registry, reference, credential, mirror))];
    }

    private RepositoryClient(RegistryClient registry, OciReference reference, RegistryCredential? originCredential, RegistryMirror mirror)
    {
        _registry = registry;
        Reference = reference;
        _mirror = mirror;
        _credential = mirror.SendOriginCredentials ? originCredential : null;
        _baseUri = mirror.BaseUri();
        _repositoryPath = mirror.RepositoryPath(reference.Repository);
        // A failing mirror is skipped at once: the origin is the retry.
        _maxRetries = 0;
        _pullScope = $"repository:{_repositoryPath}:pull";
        _pushScope = _pullScope;
        _mirrors = [];
    }

    public OciReference Reference { get; }

    private string Name => $"{Reference.Registry}/{Reference.Repository}";

    private string EndpointDescription => _mirror is null ? $"registry {Reference.Registry}" : $"mirror {Endpoint}";

    /// <summary>The endpoint this client talks to, <c>host[:port]</c>.</summary>
    private string Endpoint => _baseUri.Authority;

    private ILogger Logger => _registry.Logger;

    private RegistryClientOptions Options => _registry.Options;

    /// <summary>GET /v2/: checks that the registry answers and that our credentials (if asked for) are accepted.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new RequestPlan(HttpMethod.Get, new Uri(_baseUri, "v2/"), "", "ping"), cancellationToken);
        await EnsureSuccessAsync(response, "ping", cancellationToken);
    }

    /// <summary>Fetches a manifest or index by tag or digest and pins it to the sha256 of its bytes.</summary>
    public async Task<ManifestResponse> GetManifestAsync(string tagOrDigest, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tagOrDigest);
        var byDigest = tagOrDigest.Contains(':', StringComparison.Ordinal);
        if (byDigest && !Digest.IsValidSha256(tagOrDigest))
        {
            throw new ArgumentException($"'{tagOrDigest}' is neither a tag nor a sha256 digest", nameof(tagOrDigest));
        }

        var what = $"manifest {Name}{(byDigest ? "@" : ":")}{tagOrDigest}";
        var mirrors = byDigest ? _mirrors : [.. _mirrors.Where(m => m._mirror!.ResolveTags)];
        return await ThroughEndpointsAsync(mirrors, RegistryRequestKind.Manifest, what,
            endpoint => endpoint.GetManifestFromEndpointAsync(tagOrDigest, byDigest, cancellationToken), cancellationToken);
    }

    private async Task<ManifestResponse> GetManifestFromEndpointAsync(string tagOrDigest, bool byDigest, CancellationToken cancellationToken)
    {
        var what = $"manifest {Name}{(byDigest ? "@" : ":")}{tagOrDigest}";
        var plan = new RequestPlan(HttpMethod.Get, ManifestUri(tagOrDigest), _pullScope, what)
        {
            Configure = request =>
            {
                foreach (var type in ManifestAccept)
                {
                    request.Headers.Accept.Add(type);
                }
            },
        };
        using var response = await SendAsync(plan, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var errors = await ReadErrorsAsync(response, cancellationToken);
            throw new ManifestNotFoundException($"{what} not found (HTTP 404{FormatErrors(errors)})", response.StatusCode, errors);
        }

        await EnsureSuccessAsync(response, what, cancellationToken);
        var content = await ReadLimitedAsync(response, Options.MaxManifestBytes, what, cancellationToken);
        var digest = Digest.Of(content);
        if (byDigest && digest != tagOrDigest)
        {
            throw new DigestMismatchException(tagOrDigest, content.LongLength, digest, content.LongLength, what);
        }

        var headerDigest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (headerDigest is not null && headerDigest.StartsWith(Digest.Sha256Prefix, StringComparison.Ordinal) && headerDigest != digest)
        {
            throw new DigestMismatchException(headerDigest, content.LongLength, digest, content.LongLength, $"{what} (Docker-Content-Digest header)");
        }

        ManifestProbe? probe;
        try
        {
            probe = JsonSerializer.Deserialize<ManifestProbe>(content);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{what} is not valid JSON: {e.Message}", response.StatusCode, innerException: e);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null or "application/json" or "application/octet-stream" or "text/plain")
        {
            mediaType = probe?.MediaType ?? (probe?.Manifests is not null ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest);
        }

        OciManifest? manifest = null;
        OciIndex? index = null;
        try
        {
            if (OciMediaTypes.IsIndex(mediaType))
            {
                index = JsonSerializer.Deserialize<OciIndex>(content);
            }
            else
            {
                manifest = JsonSerializer.Deserialize<OciManifest>(content);
            }
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{what} ({mediaType}) does not have the expected shape: {e.Message}", response.StatusCode, innerException: e);
        }

        Log.ManifestFetched(Logger, what, digest, mediaType, content.Length);
        return new ManifestResponse { Digest = digest, MediaType = mediaType, Content = content, Manifest = manifest, Index = index };
    }

    /// <summary>
    /// Opens the blob's bytes from <paramref name="offset"/>. The stream resumes with a Range request
    /// when the connection drops, never yields more than the descriptor's size, and does not verify
    /// the digest (wrap it in <see cref="DigestVerifyingStream"/>, or use <see cref="FetchBlobAsync"/>).
    /// </summary>
    public async Task<Stream> OpenBlobAsync(OciDescriptor blob, long offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new ArgumentException($"blob digest '{blob.Digest}' is not a sha256 digest", nameof(blob));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, blob.Size);
        var first = offset < blob.Size ? await OpenBlobBodyAsync(blob, offset, cancellationToken) : null;
        return new ResumableBlobStream(blob, offset, first, OpenBlobBodyAsync, _registry, $"blob {blob.Digest} of {Name}");
    }

    /// <summary>Downloads a blob into <paramref name="destination"/>, verifying size and sha256.</summary>
    public async Task FetchBlobAsync(OciDescriptor blob, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await using var verifying = new DigestVerifyingStream(await OpenBlobAsync(blob, 0, cancellationToken), blob);
        await verifying.CopyToAsync(destination, 1 << 20, cancellationToken);
    }

    /// <summary>HEAD on the blob: true when the repository has it.</summary>
    public async Task<bool> BlobExistsAsync(string digest, CancellationToken cancellationToken = default)
    {
        if (!Digest.IsValidSha256(digest))
        {
            throw new ArgumentException($"'{digest}' is not a sha256 digest", nameof(digest));
        }

        var what = $"blob {digest} of {Name}";
        using var response = await SendAsync(new RequestPlan(HttpMethod.Head, BlobUri(digest), _pullScope, what) { FollowRedirects = true }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, what, cancellationToken);
        return true;
    }

    /// <summary>
    /// Uploads a blob unless the repository already has it (returns false then). The content is streamed
    /// in one monolithic PUT; the registry checks it against the descriptor's digest.
    /// </summary>
    public async Task<bool> PushBlobAsync(OciDescriptor blob, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(content);
        if (await BlobExistsAsync(blob.Digest, cancellationToken))
        {
            Log.BlobExists(Logger, blob.Digest, Name);
            return false;
        }

        var what = $"upload of blob {blob.Digest} to {Name}";
        Uri location;
        using (var started = await SendAsync(new RequestPlan(HttpMethod.Post, new Uri(_baseUri, $"v2/{_repositoryPath}/blobs/uploads/"), _pushScope, what), cancellationToken))
        {
            await EnsureSuccessAsync(started, what, cancellationToken);
            location = started.Headers.Location is { } header
                ? new Uri(new Uri(_baseUri, $"v2/{_repositoryPath}/blobs/uploads/"), header)
                : throw new RegistryException($"{what}: the registry answered {(int)started.StatusCode} without a Location header", started.StatusCode);
        }

        var builder = new UriBuilder(location);
        var digestParameter = "digest=" + Uri.EscapeDataString(blob.Digest);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + digestParameter : digestParameter;
        var start = content.CanSeek ? content.Position : -1;
        var plan = new RequestPlan(HttpMethod.Put, builder.Uri, _pushScope, what)
        {
            Replayable = content.CanSeek,
            Content = attempt =>
            {
                if (attempt > 0)
                {
                    if (start < 0)
                    {
                        return null;
                    }

                    content.Position = start;
                }

                var body = new StreamContent(ReadOnlyStreamView.Borrowing(content), 1 << 20);
                body.Headers.ContentLength = blob.Size;
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return body;
            },
        };
        using var response = await SendAsync(plan, cancellationToken);
        await EnsureSuccessAsync(response, what, cancellationToken);
        Log.BlobPushed(Logger, blob.Digest, blob.Size, Name);
        return true;
    }

    /// <summary>PUTs a manifest under a tag (or digest); returns the digest of its bytes.</summary>
    public async Task<string> PushManifestAsync(string tagOrDigest, string mediaType, byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tagOrDigest);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        ArgumentNullException.ThrowIfNull(content);
        var digest = Digest.Of(content);
        var what = $"push of manifest {Name}:{tagOrDigest}";
        var plan = new RequestPlan(HttpMethod.Put, ManifestUri(tagOrDigest), _pushScope, what)
        {
            Content = _ =>
            {
                var body = new ByteArrayContent(content);
                body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return body;
            },
        };
        using var response = await SendAsync(plan, cancellationToken);
        await EnsureSuccessAsync(response, what, cancellationToken);
        var headerDigest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (headerDigest is not null && headerDigest != digest)
        {
            throw new DigestMismatchException(digest, content.LongLength, headerDigest, content.LongLength, $"{what}: the registry stored different bytes");
        }

        Log.ManifestPushed(Logger, Name, tagOrDigest, digest);
        return digest;
    }

    private Uri ManifestUri(string tagOrDigest) => new(_baseUri, $"v2/{_repositoryPath}/manifests/{tagOrDigest}");

    private Uri BlobUri(string digest) => new(_baseUri, $"v2/{_repositoryPath}/blobs/{digest}");

    /// <summary>One GET for a blob's bytes from <paramref name="offset"/>, from the first endpoint that has it.</summary>
    private Task<Stream> OpenBlobBodyAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken) =>
        ThroughEndpointsAsync(_mirrors, RegistryRequestKind.Blob, $"blob {blob.Digest} of {Name}",
            endpoint => endpoint.OpenBlobBodyFromEndpointAsync(blob, offset, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs a pull request against each mirror in order, then the origin; a mirror that fails for any
    /// reason (unreachable, 404, 5xx, refused) is skipped, as containerd does. The origin's failure is final.
    /// </summary>
    private async Task<T> ThroughEndpointsAsync<T>(IReadOnlyList<RepositoryClient> mirrors, RegistryRequestKind kind, string what,
        Func<RepositoryClient, Task<T>> request, CancellationToken cancellationToken)
    {
        foreach (var (mirror, i) in mirrors.Select((m, i) => (m, i)))
        {
            try
            {
                var result = await request(mirror);
                _registry.Observe(new RegistryEndpointRequest(Reference.Registry, mirror.Endpoint, true, kind, true));
                return result;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RegistryException or HttpRequestException or IOException or OperationCanceledException)
            {
                var next = i + 1 < mirrors.Count ? mirrors[i + 1].Endpoint : $"the origin {Endpoint}";
                Log.EndpointFailed(Logger, what, mirror.Endpoint, e.Message, next);
                _registry.Observe(new RegistryEndpointRequest(Reference.Registry, mirror.Endpoint, true, kind, false, e.Message));
            }
        }

        try
        {
            var result = await request(this);
            _registry.Observe(new RegistryEndpointRequest(Reference.Registry, Endpoint, false, kind, true));
            return result;
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or IOException)
        {
            _registry.Observe(new RegistryEndpointRequest(Reference.Registry, Endpoint, false, kind, false, e.Message));
            throw;
        }
    }

    private async Task<Stream> OpenBlobBodyFromEndpointAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken)
    {
        var what = $"blob {blob.Digest} of {Name}";
        var plan = new RequestPlan(HttpMethod.Get, BlobUri(blob.Digest), _pullScope, what)
        {
            FollowRedirects = true,
            // Closed ranges: some registries answer an open-ended bytes=N- with 416.
            Configure = offset > 0 ? request => request.Headers.Range = new RangeHeaderValue(offset, blob.Size - 1) : null,
        };
        var response = await SendAsync(plan, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                var errors = await ReadErrorsAsync(response, cancellationToken);
                throw new BlobNotFoundException($"{what} not found (HTTP 404{FormatErrors(errors)})", response.StatusCode, errors);
            }

            await EnsureSuccessAsync(response, what, cancellationToken);
            var length = response.Content.Headers.ContentLength;
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset)
                {
                    throw new RegistryException($"{what}: asked for bytes from {offset}, the registry sent range {range}", response.StatusCode);
                }

                return ReadOnlyStreamView.Owning(body, response);
            }

            if (length is { } total && total != blob.Size)
            {
                throw new DigestMismatchException(blob.Digest, blob.Size, "(not downloaded)", total, $"{what}: the registry reports a different size");
            }

            if (offset > 0)
            {
                Log.RangeIgnored(Logger, blob.Digest, offset);
                await SkipAsync(body, offset, cancellationToken);
            }

            return ReadOnlyStreamView.Owning(body, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 20)];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException("the registry's full response ended before the resume offset");
            }

            count -= n;
        }
    }

    /// <summary>
    /// Sends with auth, redirects and retries. 5xx/429 and connection errors are retried with backoff;
    /// one 401 is answered by (re)authenticating. The caller inspects the final status.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(RequestPlan plan, CancellationToken cancellationToken)
    {
        var authRetried = false;
        var sendAttempt = 0;
        // Counts retries only: answering a 401 challenge is not a retry.
        var attempt = 0;
        while (true)
        {
            var scope = ScopeFor(plan.Scope);
            var authorization = await AuthorizationAsync(scope, rejected: null, cancellationToken);
            HttpResponseMessage response;
            try
            {
                var sent = await SendFollowingRedirectsAsync(plan, authorization, sendAttempt++, cancellationToken);
                if (sent is null)
                {
                    throw new RegistryUnavailableException($"{plan.What}: the request failed and its body cannot be sent again");
                }

                response = sent;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException)
            {
                var reason = e is OperationCanceledException ? "no response in time" : e.Message;
                if (attempt >= _maxRetries || !plan.Replayable)
                {
                    throw new RegistryUnavailableException($"{plan.What}: {EndpointDescription} is unreachable ({reason})", innerException: e);
                }

                var delay = _registry.Backoff(attempt);
                Log.RetryingRequest(Logger, plan.Method.Method, plan.Uri, reason, attempt + 1, Options.MaxRetries, delay);
                await Task.Delay(delay, _registry.TimeProvider, cancellationToken);
                attempt++;
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                if (authRetried || !plan.Replayable)
                {
                    return response;
                }

                authRetried = true;
                try
                {
                    await AcceptChallengeAsync(response, plan, authorization, cancellationToken);
                }
                finally
                {
                    response.Dispose();
                }

                continue;
            }

            var status = (int)response.StatusCode;
            if ((status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) && attempt < _maxRetries && plan.Replayable)
            {
                var delay = _registry.Backoff(attempt);
                if (response.Headers.RetryAfter?.Delta is { } retryAfter && retryAfter > delay)
                {
                    delay = retryAfter < Options.MaxBackoff ? retryAfter : Options.MaxBackoff;
                }

                Log.RetryingRequest(Logger, plan.Method.Method, plan.Uri, $"HTTP {status}", attempt + 1, Options.MaxRetries, delay);
                response.Dispose();
                await Task.Delay(delay, _registry.TimeProvider, cancellationToken);
                attempt++;
                continue;
            }

            return response;
        }
    }

    private async Task<HttpResponseMessage?> SendFollowingRedirectsAsync(RequestPlan plan, AuthenticationHeaderValue? authorization, int sendAttempt, CancellationToken cancellationToken)
    {
        var uri = plan.Uri;
        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(plan.Method, uri);
            plan.Configure?.Invoke(request);
            if (_mirror is not null)
            {
                foreach (var (name, value) in _mirror.Headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            if (plan.Content is not null)
            {
                var content = plan.Content(sendAttempt);
                if (content is null)
                {
                    return null;
                }

                request.Content = content;
            }

            var sameHost = Uri.Compare(uri, _baseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            if (sameHost)
            {
                request.Headers.Authorization = authorization;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.ResponseTimeout);
            var response = await _registry.HttpClientFor(uri).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (plan.FollowRedirects && status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (redirects >= Options.MaxRedirects)
                {
                    throw new RegistryException($"{plan.What}: more than {Options.MaxRedirects} redirects", (HttpStatusCode)status);
                }

                uri = new Uri(uri, location);
                var nextSameHost = Uri.Compare(uri, _baseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
                Log.FollowingRedirect(Logger, plan.Method.Method, uri.Authority, nextSameHost && authorization is not null);
                continue;
            }

            return response;
        }
    }

    private string ScopeFor(string scope)
    {
        lock (_authLock)
        {
            return _scopeFromChallenge.TryGetValue(scope, out var fromChallenge) ? fromChallenge : scope;
        }
    }

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync(string scope, string? rejected, CancellationToken cancellationToken)
    {
        if (_credential?.RegistryToken is { } registryToken)
        {
            return new AuthenticationHeaderValue("Bearer", registryToken);
        }

        AuthChallenge? challenge;
        lock (_authLock)
        {
            challenge = _challenge;
        }

        if (challenge is null)
        {
            return null;
        }

        if (challenge.IsBasic)
        {
            return _credential is { HasUsernamePassword: true } ? RegistryTokenService.BasicHeader(_credential) : null;
        }

        var key = new RegistryTokenService.TokenKey(challenge["realm"]!, challenge["service"] ?? "", scope, _credential);
        var token = await _registry.Tokens.GetTokenAsync(key, Name, rejected, cancellationToken);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    private async Task AcceptChallengeAsync(HttpResponseMessage response, RequestPlan plan, AuthenticationHeaderValue? sent, CancellationToken cancellationToken)
    {
        var challenge = AuthChallenge.From(response.Headers);
        var who = _credential?.Describe() ?? "anonymous access";
        if (challenge is null)
        {
            var errors = await ReadErrorsAsync(response, cancellationToken);
            throw new RegistryAuthException($"{plan.What}: {EndpointDescription} refused {who} (HTTP 401 without a Basic or Bearer challenge{FormatErrors(errors)})",
                response.StatusCode, errors);
        }

        Log.Challenged(Logger, Reference.Registry, challenge.Scheme, _credential?.Describe() ?? "no credentials");
        if (challenge.IsBasic)
        {
            if (_credential is not { HasUsernamePassword: true })
            {
                throw new RegistryAuthException(
                    $"{plan.What}: {EndpointDescription} requires a username and password for {Reference.Repository} and {(_credential is null ? "none were given" : $"only {who} was given")}",
                    response.StatusCode);
            }

            lock (_authLock)
            {
                _challenge = challenge;
            }

            return;
        }

        if (string.IsNullOrEmpty(challenge["realm"]))
        {
            throw new RegistryAuthException($"{plan.What}: {EndpointDescription} sent a Bearer challenge without a realm", response.StatusCode);
        }

        var scope = challenge["scope"] ?? plan.Scope;
        lock (_authLock)
        {
            _challenge = challenge;
            if (scope != plan.Scope)
            {
                _scopeFromChallenge[plan.Scope] = scope;
            }
        }

        // Invalidates the cached token if the registry just rejected it (expired or revoked early).
        _ = await AuthorizationAsync(scope, sent?.Scheme == "Bearer" ? sent.Parameter : null, cancellationToken);
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var errors = await ReadErrorsAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        var message = $"{what}: HTTP {status} {response.ReasonPhrase}{FormatErrors(errors)}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new RegistryAuthException($"{what}: {EndpointDescription} refused {_credential?.Describe() ?? "anonymous access"} to {Reference.Repository} (HTTP {status}{FormatErrors(errors)})",
                    response.StatusCode, errors),
            _ when status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests =>
                new RegistryUnavailableException($"{message} (after {_maxRetries} retries)", response.StatusCode, errors),
            _ => new RegistryException(message, response.StatusCode, errors),
        };
    }

    private static async Task<IReadOnlyList<RegistryError>> ReadErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ReadLimitedAsync(response, 64 * 1024, "error body", cancellationToken);
            return body.Length == 0 ? [] : JsonSerializer.Deserialize<ErrorBody>(body)?.Errors ?? [];
        }
        catch (Exception e) when (e is JsonException or RegistryException or IOException or HttpRequestException)
        {
            return [];
        }
    }

    private static string FormatErrors(IReadOnlyList<RegistryError> errors) =>
        errors.Count == 0 ? "" : ": " + string.Join("; ", errors);

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long limit, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > limit)
        {
            throw new RegistryException($"{what} is {length} bytes, more than the {limit} bytes allowed", response.StatusCode);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > limit)
            {
                throw new RegistryException($"{what} is more than the {limit} bytes allowed", response.StatusCode);
            }
        }

        return buffer.ToArray();
    }

    private sealed record RequestPlan(HttpMethod Method, Uri Uri, string Scope, string What)
    {
        public Action<HttpRequestMessage>? Configure { get; init; }

        /// <summary>Creates the body for a send attempt; returns null when the body cannot be sent again.</summary>
        public Func<int, HttpContent?>? Content { get; init; }

        public bool FollowRedirects { get; init; }

        /// <summary>False when a body stream cannot be rewound: such a request is sent once, never retried.</summary>
        public bool Replayable { get; init; } = true;
    }

    private sealed record ManifestProbe
    {
        [JsonPropertyName("mediaType")]
        public string? MediaType { get; init; }

        [JsonPropertyName("manifests")]
        public JsonElement? Manifests { get; init; }
    }

    private sealed record ErrorBody
    {
        [JsonPropertyName("errors")]
        public IReadOnlyList<RegistryError>? Errors { get; init; }
    }
}
