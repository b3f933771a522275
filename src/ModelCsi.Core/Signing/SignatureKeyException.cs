using ModelCsi.Core.Failures;

namespace ModelCsi.Core.Signing;

/// <summary>A key file or inline key cannot be used: unreadable, not PEM, encrypted, or an unsupported algorithm.</summary>
public sealed class SignatureKeyException(string message, Exception? innerException = null) : Exception(message, innerException), IClassifiedFailure
{
    // The key is an argument of the command (or of the configuration): the caller has to fix it.
    public FailureKind Kind => FailureKind.InvalidArgument;
}
