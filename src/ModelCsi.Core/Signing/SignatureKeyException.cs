namespace ModelCsi.Core.Signing;

/// <summary>A key file or inline key cannot be used: unreadable, not PEM, encrypted, or an unsupported algorithm.</summary>
public sealed class SignatureKeyException(string message, Exception? innerException = null) : Exception(message, innerException);
