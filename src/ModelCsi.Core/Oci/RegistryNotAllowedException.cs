using ModelCsi.Core.Failures;
using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>
/// A request was refused by this client's outbound policy before (or instead of) reaching the host: a
/// registry outside <see cref="RegistryClientOptions.AllowedRegistries"/>, a redirect or token realm on
/// plain HTTP to another host, or one that leads to a loopback, link-local or private address.
/// </summary>
public sealed class RegistryNotAllowedException : RegistryException
{
    public RegistryNotAllowedException(string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, statusCode, innerException: innerException)
    {
    }

    /// <summary>The node's policy forbids the registry: no credential or retry changes that.</summary>
    public override FailureKind Kind => FailureKind.PermissionDenied;
}
