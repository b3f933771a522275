using ModelCsi.Core.Failures;
using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>The registry has no blob with the requested digest in this repository.</summary>
public sealed class BlobNotFoundException : RegistryException
{
    public BlobNotFoundException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<RegistryError>? errors = null, Exception? innerException = null)
        : base(message, statusCode, errors, innerException)
    {
    }

    public override FailureKind Kind => FailureKind.NotFound;
}
