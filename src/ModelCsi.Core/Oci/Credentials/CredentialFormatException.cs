using ModelCsi.Core.Failures;
namespace ModelCsi.Core.Oci.Credentials;

/// <summary>A credential store (secret, config file) could not be read. The message never quotes its content.</summary>
public sealed class CredentialFormatException : Exception, IClassifiedFailure
{
    public CredentialFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The secret or config the volume names is malformed: the volume's definition needs fixing.</summary>
    public FailureKind Kind => FailureKind.InvalidArgument;
}
