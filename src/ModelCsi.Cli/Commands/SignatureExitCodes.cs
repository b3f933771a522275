using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary>Maps a signature outcome to the exit code scripts branch on (see <see cref="ExitCodes.SignatureHelpText"/>).</summary>
public static class SignatureExitCodes
{
    public static int For(SignatureOutcome outcome) => outcome switch
    {
        SignatureOutcome.Verified or SignatureOutcome.NotChecked => ExitCodes.Success,
        SignatureOutcome.NoSignature => ExitCodes.NoSignature,
        SignatureOutcome.BadSignature => ExitCodes.BadSignature,
        SignatureOutcome.DigestMismatch => ExitCodes.SignatureDigestMismatch,
        SignatureOutcome.ReferenceMismatch => ExitCodes.SignatureReferenceMismatch,
        SignatureOutcome.UntrustedKey => ExitCodes.UntrustedKey,
        SignatureOutcome.Keyless => ExitCodes.KeylessSignature,
        _ => ExitCodes.General,
    };
}
