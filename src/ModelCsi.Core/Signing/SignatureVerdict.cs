namespace ModelCsi.Core.Signing;

/// <summary>What the signature policy decided for one manifest digest, and why.</summary>
public sealed record SignatureVerdict
{
    /// <summary>The rule that applied; empty when no rule matched (mode off).</summary>
    public required string RuleName { get; init; }

    public required SignatureMode Mode { get; init; }

    public required SignatureOutcome Outcome { get; init; }

    /// <summary>One sentence for humans, e.g. which key verified or why none did.</summary>
    public required string Reason { get; init; }

    /// <summary>The manifest digest the verdict is about.</summary>
    public required string ManifestDigest { get; init; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the DER SubjectPublicKeyInfo of the key that verified; null unless verified.</summary>
    public string? KeyFingerprint { get; init; }

    public required DateTimeOffset VerifiedAt { get; init; }

    /// <summary>True when the model may be used without warning: verified, or not checked because the mode is off.</summary>
    public bool Passed => Outcome is SignatureOutcome.Verified or SignatureOutcome.NotChecked;
}
