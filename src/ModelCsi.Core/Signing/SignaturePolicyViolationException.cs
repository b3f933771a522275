using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>An <c>enforce</c> rule refused a model; maps to PermissionDenied. The message names the reference, the rule and why.</summary>
public sealed class SignaturePolicyViolationException : Exception, IClassifiedFailure
{
    public SignaturePolicyViolationException(OciReference reference, SignatureVerdict verdict)
        : base(Describe(reference, verdict))
    {
        Reference = reference;
        Verdict = verdict;
    }

    public OciReference Reference { get; }

    public SignatureVerdict Verdict { get; }

    /// <summary>Policy forbids the model: the same answer a registry gives for credentials it refuses.</summary>
    public FailureKind Kind => FailureKind.PermissionDenied;

    private static string Describe(OciReference reference, SignatureVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(verdict);
        return $"{reference.WithDigest(verdict.ManifestDigest)} is refused by signature rule '{verdict.RuleName}' (enforce): "
            + $"{SignatureMetrics.Label(verdict.Outcome).Replace('_', ' ')}: {verdict.Reason}";
    }
}
