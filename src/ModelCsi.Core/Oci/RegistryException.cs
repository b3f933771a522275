using ModelCsi.Core.Failures;
using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>A registry refused or failed a request; carries the HTTP status and the registry's error codes.</summary>
public class RegistryException : Exception, IClassifiedFailure
{
    public RegistryException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<RegistryError>? errors = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Errors = errors ?? [];
    }

    public HttpStatusCode? StatusCode { get; }

    public IReadOnlyList<RegistryError> Errors { get; }

    /// <summary>
    /// A registry failure that no subclass names more precisely: a success answer with unusable content is corrupt
    /// data, a refusal is a denial, and anything else (server errors, no answer) may pass on a retry.
    /// </summary>
    public virtual FailureKind Kind => (int?)StatusCode switch
    {
        >= 200 and < 300 => FailureKind.DataCorrupted,
        401 or 403 => FailureKind.PermissionDenied,
        404 => FailureKind.NotFound,
        _ => FailureKind.Unavailable,
    };
}
