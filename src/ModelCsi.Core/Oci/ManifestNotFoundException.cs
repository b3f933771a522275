using ModelCsi.Core.Failures;
using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>The registry has no manifest under the requested tag or digest.</summary>
public sealed class ManifestNotFoundException : RegistryException
{
    public ManifestNotFoundException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<RegistryError>? errors = null, Exception? innerException = null)
        : base(message, statusCode, errors, innerException)
    {
    }

    public override FailureKind Kind => FailureKind.NotFound;
}
