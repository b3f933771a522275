using ModelCsi.Core.Failures;
namespace ModelCsi.Core.Kubernetes;

/// <summary>A Kubernetes API call failed for another reason than the object not existing.</summary>
public sealed class KubernetesApiException : Exception, IClassifiedFailure
{
    public KubernetesApiException(string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

    public int? StatusCode { get; }

    public FailureKind Kind => FailureKind.Unavailable;
}
