using System.Net;
using System.Net.Sockets;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Keeps requests a registry steers us into (blob redirects, token realms on other hosts) away from the
/// node's own network: loopback, link-local (cloud metadata), private, shared and unspecified addresses.
/// Names are resolved before connecting and the connection goes to a checked address, so DNS answers
/// cannot swap in an internal address after the check.
/// </summary>
internal static class AddressGuard
{
    /// <summary>True for addresses a registry on the internet must not make us connect to.</summary>
    public static bool IsInternal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] is >= 64 and <= 127, // shared address space (carrier-grade NAT)
                169 => b[1] == 254, // link-local, cloud metadata services
                172 => b[1] is >= 16 and <= 31,
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0),
                >= 224 => true, // multicast and reserved
                _ => false,
            };
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
    }

    /// <summary>True when <paramref name="host"/> is, or resolves to, an internal address (a registry on the node's network).</summary>
    public static async Task<bool> IsInternalHostAsync(string host, CancellationToken cancellationToken)
    {
        host = host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (IPAddress.TryParse(host, out var literal))
        {
            return IsInternal(literal);
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            return addresses.Any(IsInternal);
        }
        catch (SocketException)
        {
            // Unresolvable: the request to it fails on its own; nothing internal to protect.
            return false;
        }
    }

    /// <summary>True when the URI's host is an internal IP address literal; names are checked when they are resolved.</summary>
    public static bool NamesInternalLiterally(Uri uri) =>
        IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IsInternal(address);

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/> for guarded requests: resolves the host, refuses
    /// internal addresses, and connects only to the addresses it checked.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var target = context.InitialRequestMessage.RequestUri;
        // Through an HTTP proxy we connect to the proxy, which resolves the target itself; the literal check
        // at redirect time is what applies then.
        var toProxy = target is not null && !target.IdnHost.Trim('[', ']').Equals(endpoint.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        if (!toProxy)
        {
            var refused = addresses.Where(IsInternal).ToList();
            if (refused.Count > 0)
            {
                throw new RegistryNotAllowedException(
                    $"refusing to connect to {ResponseExcerpt.Sanitise(endpoint.Host)}: it resolves to the internal address {refused[0]}, and the registry that sent us there is not on an internal network");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
