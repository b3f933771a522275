using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>Checks cosign key-based signatures of a manifest digest against the rule that applies to its repository.</summary>
public sealed class ModelSignatureVerifier(
    SignaturePolicy policy, SignatureMetrics metrics, ILogger<ModelSignatureVerifier>? logger = null, TimeProvider? timeProvider = null)
    : IModelSignatureVerifier
{
    private readonly ILogger _logger = logger ?? NullLogger<ModelSignatureVerifier>.Instance;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public SignaturePolicy Policy => policy;

    public bool IsSettled(OciReference reference, string? verifiedRule, string? verifiedKeyFingerprint)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var rule = policy.RuleFor(reference);
        return rule is null
               || rule.Mode == SignatureMode.Off
               || (rule.Name == verifiedRule && rule.Keys.Any(key => key.Fingerprint == verifiedKeyFingerprint));
    }

    public async Task<SignatureVerdict> VerifyAsync(
        RepositoryClient repository, OciReference reference, string manifestDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(reference);
        if (!Digest.IsValidSha256(manifestDigest))
        {
            throw new ArgumentException($"'{manifestDigest}' is not a sha256 digest", nameof(manifestDigest));
        }

        var rule = policy.RuleFor(reference);
        if (rule is null || rule.Mode == SignatureMode.Off)
        {
            return new SignatureVerdict
            {
                RuleName = rule?.Name ?? "",
                Mode = SignatureMode.Off,
                Outcome = SignatureOutcome.NotChecked,
                Reason = rule is null ? "no signature rule matches this repository" : $"rule '{rule.Name}' is off",
                ManifestDigest = manifestDigest,
                VerifiedAt = _time.GetUtcNow(),
            };
        }

        var discovery = await CosignSignatureFinder.FindAsync(repository, manifestDigest, cancellationToken);
        var pinned = reference.WithDigest(manifestDigest).ToString();
        Log.Discovered(_logger, pinned, discovery.Signatures.Count, discovery.ReferrersApi ? "answered" : "not offered");
        var check = CosignSignatureChecker.Check(discovery, rule.Keys, manifestDigest, reference);
        var verdict = new SignatureVerdict
        {
            RuleName = rule.Name,
            Mode = rule.Mode,
            Outcome = check.Outcome,
            Reason = check.Reason,
            ManifestDigest = manifestDigest,
            KeyFingerprint = check.Outcome == SignatureOutcome.Verified ? check.KeyFingerprint : null,
            VerifiedAt = _time.GetUtcNow(),
        };
        metrics.Count(verdict.Outcome);
        if (verdict.Passed)
        {
            Log.Verified(_logger, pinned, rule.Name, verdict.Reason);
            return verdict;
        }

        Log.Failed(_logger, pinned, rule.Name, rule.Mode.ToString().ToLowerInvariant(), SignatureMetrics.Label(verdict.Outcome), verdict.Reason);
        return rule.Mode == SignatureMode.Enforce ? throw new SignaturePolicyViolationException(reference, verdict) : verdict;
    }
}
