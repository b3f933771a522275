using System.Net;

namespace ModelCsi.Core.Oci;

/// <summary>The registry could not be reached, or kept failing, after every retry.</summary>
public sealed class RegistryUnavailableException : RegistryException
{
    public RegistryUnavailableException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<RegistryError>? errors = null, Exception? innerException = null)
        : base(message, statusCode, errors, innerException)
    {
    }
}
