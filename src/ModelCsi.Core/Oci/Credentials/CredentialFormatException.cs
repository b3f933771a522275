namespace ModelCsi.Core.Oci.Credentials;

/// <summary>A credential store (secret, config file) could not be read. The message never quotes its content.</summary>
public sealed class CredentialFormatException : Exception
{
    public CredentialFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
