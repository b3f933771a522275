namespace ModelCsi.Core.Signing;

/// <summary>The outcome of checking found signatures against trusted keys, before a rule's mode is applied.</summary>
public sealed record SignatureCheck(SignatureOutcome Outcome, string Reason, string? KeyFingerprint = null);
