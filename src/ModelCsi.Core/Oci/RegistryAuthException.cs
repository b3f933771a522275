using ModelCsi.Core.Failures;
using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>Credentials were missing or refused (by the registry or by its token service).</summary>
public sealed class RegistryAuthException : RegistryException
{
    public RegistryAuthException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<RegistryError>? errors = null, Exception? innerException = null)
        : base(message, statusCode, errors, innerException)
    {
    }

    public override FailureKind Kind => FailureKind.PermissionDenied;
}
