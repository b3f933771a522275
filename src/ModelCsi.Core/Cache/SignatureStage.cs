using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The signature check of the pull pipeline: after the manifest digest is known and before any layer is fetched
/// or a cached model is leased. A verification the policy still accepts is remembered with the model's record,
/// so cache hits ask the registry nothing.
/// </summary>
internal sealed class SignatureStage(ModelStore store, IModelSignatureVerifier? verifier)
{
    public bool IsActive => verifier is not null;

    /// <summary>
    /// A cached model's signature: nothing to ask when the record remembers a verification the policy still accepts
    /// for this reference; otherwise (another policy, another repository, or never verified) it is checked now.
    /// </summary>
    public async Task SettleAsync(
        OciReference reference, string key, string manifestDigest, ModelRequest request, Func<Task<RepositoryClient>> openRepository, CancellationToken cancellationToken)
    {
        if (verifier is null)
        {
            return;
        }

        // No rule checks this repository: not even the record needs reading.
        if (verifier.IsSettled(reference, null, null))
        {
            return;
        }

        var remembered = store.Records.Get(key)?.Signature;
        if (verifier.IsSettled(reference, remembered?.Rule, remembered?.KeyFingerprint))
        {
            return;
        }

        Remember(key, await VerifyAsync(await openRepository(), reference, manifestDigest, request, cancellationToken));
    }

    /// <returns>The verification to remember with the model; null when nothing was verified (no rule, or a failed <c>warn</c>).</returns>
    public async Task<CachedSignature?> VerifyAsync(
        RepositoryClient repository, OciReference reference, string manifestDigest, ModelRequest request, CancellationToken cancellationToken)
    {
        if (verifier is null)
        {
            return null;
        }

        SignatureVerdict verdict;
        try
        {
            verdict = await verifier.VerifyAsync(repository, reference, manifestDigest, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A refusal's message already names the reference, the rule and why; it keeps its PermissionDenied kind.
            throw e is SignaturePolicyViolationException
                ? new ModelPullException(FailureKind.PermissionDenied, reference.ToString(), e.Message, e) { Step = "verify signature" }
                : ModelPullException.From(e, reference.ToString(), "verify signature");
        }

        if (verdict is { Outcome: SignatureOutcome.Verified, KeyFingerprint: { } fingerprint })
        {
            return new CachedSignature { Rule = verdict.RuleName, KeyFingerprint = fingerprint, VerifiedAt = verdict.VerifiedAt };
        }

        if (!verdict.Passed)
        {
            request.Observer?.Warning(
                $"{reference.WithDigest(manifestDigest)} fails signature rule '{verdict.RuleName}' (warn, mounted anyway): "
                + $"{SignatureMetrics.Label(verdict.Outcome).Replace('_', ' ')}: {verdict.Reason}");
        }

        return null;
    }

    public void Remember(string key, CachedSignature? signature)
    {
        if (signature is not null)
        {
            store.Records.RecordSignature(key, signature);
        }
    }
}
