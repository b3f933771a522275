namespace ModelCsi.TestSupport;

/// <summary>
/// A transport wrapper for <c>RegistryClient</c> that sends requests for one made-up host (say
/// <c>hostile.test</c>, which resolves nowhere and so counts as a registry on the internet) to a local
/// server over plain HTTP. Requests for every other host go out unchanged, so redirects a test server
/// sends are followed (or refused) by the client's real rules and the real network stack.
/// </summary>
public sealed class HostRewritingHandler(string fromHost, string toAuthority, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private int _rewritten;

    /// <summary>Requests sent to the local server in place of <c>fromHost</c>.</summary>
    public int Rewritten => Volatile.Read(ref _rewritten);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { } uri && uri.Host.Equals(fromHost, StringComparison.OrdinalIgnoreCase))
        {
            request.RequestUri = new Uri($"http://{toAuthority}{uri.PathAndQuery}");
            Interlocked.Increment(ref _rewritten);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
