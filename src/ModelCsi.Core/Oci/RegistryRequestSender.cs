using System.Net;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Sends one <see cref="RequestPlan"/> to one endpoint: retries 5xx, 429 and connection errors with
/// backoff, follows redirects only where <see cref="RedirectPolicy"/> allows (authentication stays with
/// the endpoint's host: <see cref="RegistryAuthenticationHandler"/> adds it), and bounds the wait for
/// response headers. The caller inspects the final status.
/// </summary>
internal sealed class RegistryRequestSender(RegistryClient registry)
{
    private RegistryClientOptions Options => registry.Options;

    private ILogger Logger => registry.Logger;

    public async Task<HttpResponseMessage> SendAsync(RegistryEndpoint endpoint, OciReference reference, RequestPlan plan, CancellationToken cancellationToken)
    {
        var auth = new RegistryAuthContext(endpoint, reference.Registry, reference.Repository, plan.Scope, plan.What);
        var bodyResent = false;
        var sendAttempt = 0;
        // Counts retries only: answering a 401 challenge is not a retry.
        var attempt = 0;
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendFollowingRedirectsAsync(endpoint, auth, plan, sendAttempt++, cancellationToken)
                    ?? throw new RegistryUnavailableException($"{plan.What}: the request failed and its body cannot be sent again");
            }
            catch (HttpRequestException e) when (e.InnerException is RegistryNotAllowedException refused)
            {
                throw new RegistryNotAllowedException($"{plan.What}: {refused.Message}", innerException: e);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException)
            {
                var reason = e is OperationCanceledException ? "no response in time" : e.Message;
                if (attempt >= endpoint.MaxRetries || !plan.Replayable)
                {
                    throw new RegistryUnavailableException($"{plan.What}: {endpoint.Description(reference.Registry)} is unreachable ({reason})", innerException: e);
                }

                await BackOffAsync(plan, reason, attempt++, null, cancellationToken);
                continue;
            }

            // A body-carrying request met a challenge: the handler took it, the body is rebuilt once.
            if (response.StatusCode == HttpStatusCode.Unauthorized && plan.Content is not null && plan.Replayable && !bodyResent)
            {
                bodyResent = true;
                response.Dispose();
                continue;
            }

            var status = (int)response.StatusCode;
            if ((status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) && attempt < endpoint.MaxRetries && plan.Replayable)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta;
                response.Dispose();
                await BackOffAsync(plan, $"HTTP {status}", attempt++, retryAfter, cancellationToken);
                continue;
            }

            return response;
        }
    }

    private async Task BackOffAsync(RequestPlan plan, string reason, int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var delay = registry.Backoff(attempt);
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < Options.MaxBackoff ? asked : Options.MaxBackoff;
        }

        Log.RetryingRequest(Logger, plan.Method.Method, plan.Uri, reason, attempt + 1, Options.MaxRetries, delay);
        await Task.Delay(delay, registry.TimeProvider, cancellationToken);
    }

    private async Task<HttpResponseMessage?> SendFollowingRedirectsAsync(RegistryEndpoint endpoint, RegistryAuthContext auth, RequestPlan plan, int sendAttempt,
        CancellationToken cancellationToken)
    {
        var uri = plan.Uri;
        var guarded = plan.Guarded;
        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(plan.Method, uri);
            request.Options.Set(RegistryAuthContext.Key, auth);
            plan.Configure?.Invoke(request);
            if (endpoint.Mirror is { } mirror)
            {
                foreach (var (name, value) in mirror.Headers)
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

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.ResponseTimeout);
            var response = await registry.HttpClientFor(uri, guarded).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (!(plan.FollowRedirects && status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location))
            {
                return response;
            }

            response.Dispose();
            if (redirects >= Options.MaxRedirects)
            {
                throw new RegistryException($"{plan.What}: more than {Options.MaxRedirects} redirects", (HttpStatusCode)status);
            }

            uri = new Uri(uri, location);
            // Guarding sticks: a redirect chain that left the registry's network may not come back into ours.
            guarded |= await RedirectPolicy.CheckAsync(endpoint.BaseUri, uri, plan.What, cancellationToken);
            var sendsAuthorization = Uri.Compare(uri, endpoint.BaseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            Log.FollowingRedirect(Logger, plan.Method.Method, ResponseExcerpt.Sanitise(uri.Authority), sendsAuthorization && (endpoint.Credential is not null));
        }
    }
}
