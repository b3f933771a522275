namespace ModelCsi.Core.Oci;

/// <summary>
/// Matches a registry (<c>host[:port]</c> as written in references) against an allow-list entry:
/// <c>registry.example.com</c> (any port), <c>registry:5000</c> (that port only), or <c>*.example.com</c>
/// (any subdomain, not the domain itself; <c>*.example.com:443</c> pins the port too).
/// </summary>
internal static class RegistryHostPattern
{
    public static bool Matches(string pattern, string registry)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(registry);
        var (patternHost, patternPort) = Split(pattern.Trim());
        var (host, port) = Split(registry);
        if (patternPort is not null && !string.Equals(patternPort, port, StringComparison.Ordinal))
        {
            return false;
        }

        if (patternHost.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = patternHost[1..];
            return host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
        }

        return host.Equals(patternHost, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True for entries <see cref="Matches"/> understands; checked when options are validated.</summary>
    public static bool IsValid(string pattern)
    {
        var (host, port) = Split(pattern.Trim());
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length > 0
            && !name.Contains('*', StringComparison.Ordinal)
            && Uri.CheckHostName(name.Trim('[', ']')) != UriHostNameType.Unknown
            && (port is null || (int.TryParse(port, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535));
    }

    private static (string Host, string? Port) Split(string registry)
    {
        // [v6]:port, [v6], host:port, host
        if (registry.StartsWith('['))
        {
            var close = registry.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                var rest = registry[(close + 1)..];
                return (registry[..(close + 1)], rest.StartsWith(':') ? rest[1..] : null);
            }
        }

        var colon = registry.LastIndexOf(':');
        return colon > 0 && registry.IndexOf(':', StringComparison.Ordinal) == colon ? (registry[..colon], registry[(colon + 1)..]) : (registry, null);
    }
}
