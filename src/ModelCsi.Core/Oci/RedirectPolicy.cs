namespace ModelCsi.Core.Oci;

/// <summary>
/// Where a registry may send us (a blob redirect, a token realm): to its own host on any scheme, or to
/// another host over https only. A registry on the internet may not send us to loopback, link-local or
/// private addresses; one that is itself on such an address may (its storage usually is too).
/// </summary>
internal static class RedirectPolicy
{
    /// <summary>The host name of both URIs is the same (ports and schemes may differ).</summary>
    public static bool SameHost(Uri a, Uri b) =>
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Checks a target the registry at <paramref name="registry"/> named. Returns true when connections to it
    /// must be guarded against internal addresses; throws <see cref="RegistryNotAllowedException"/> when it is refused outright.
    /// </summary>
    /// <param name="plainHttpFromInternal">Let a registry on an internal network name plain-HTTP hosts (token realms of in-cluster registries).</param>
    public static async Task<bool> CheckAsync(Uri registry, Uri target, string what, CancellationToken cancellationToken, bool plainHttpFromInternal = false)
    {
        if (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp)
        {
            throw Refused(what, target, "it is neither http nor https");
        }

        if (SameHost(registry, target))
        {
            return false;
        }

        var registryInternal = await AddressGuard.IsInternalHostAsync(registry.Host, cancellationToken);
        if (target.Scheme != Uri.UriSchemeHttps && !(plainHttpFromInternal && registryInternal))
        {
            throw Refused(what, target, "another host is followed over https only");
        }

        if (registryInternal)
        {
            return false;
        }

        if (AddressGuard.NamesInternalLiterally(target))
        {
            throw Refused(what, target, "it is an internal address and the registry is not on an internal network");
        }

        return true;
    }

    private static RegistryNotAllowedException Refused(string what, Uri target, string why) =>
        new($"{what}: not following the registry to {target.Scheme}://{ResponseExcerpt.Sanitise(target.Authority)}: {why}");
}
