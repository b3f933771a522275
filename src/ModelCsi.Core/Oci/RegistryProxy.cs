using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>An HTTP(S) proxy with a no-proxy list in the usual <c>NO_PROXY</c> forms.</summary>
internal sealed class RegistryProxy(Uri proxy, IEnumerable<string> noProxy) : IWebProxy
{
    private readonly string[] _noProxy = [.. noProxy.Select(entry => entry.Trim()).Where(entry => entry.Length > 0)];

    public ICredentials? Credentials { get; set; }

    public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? null : proxy;

    public bool IsBypassed(Uri host)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (var entry in _noProxy)
        {
            if (entry == "*")
            {
                return true;
            }

            var domain = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[1..] : entry;
            if (host.Authority.Equals(domain, StringComparison.OrdinalIgnoreCase)
                || host.Host.Equals(domain.TrimStart('.'), StringComparison.OrdinalIgnoreCase)
                || (domain.StartsWith('.') && host.Host.EndsWith(domain, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
