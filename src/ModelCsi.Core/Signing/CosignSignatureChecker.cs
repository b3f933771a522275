using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Decides whether any found signature was made by a trusted key over a payload naming this manifest digest
/// (and this repository, when the payload names one). Pure: no I/O.
/// </summary>
public static class CosignSignatureChecker
{
    // When nothing verifies, the most telling failure is reported.
    private static readonly SignatureOutcome[] FailureRank =
    [
        SignatureOutcome.DigestMismatch,
        SignatureOutcome.ReferenceMismatch,
        SignatureOutcome.BadSignature,
        SignatureOutcome.Keyless,
        SignatureOutcome.UntrustedKey,
    ];

    public static SignatureCheck Check(SignatureDiscovery discovery, IReadOnlyList<TrustedKey> keys, string manifestDigest, OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(reference);
        if (discovery.Signatures.Count == 0)
        {
            var where = discovery.ReferrersApi ? $"at tag {CosignFormat.SignatureTag(manifestDigest)} or among its referrers" : $"at tag {CosignFormat.SignatureTag(manifestDigest)}";
            var bundles = discovery.UnsupportedBundles > 0
                ? $"; {discovery.UnsupportedBundles} sigstore bundle signature(s) were found, a format not supported yet (sign with the tag scheme)"
                : "";
            return new SignatureCheck(SignatureOutcome.NoSignature, $"no cosign signature {where}{bundles}");
        }

        var failures = new List<SignatureCheck>();
        foreach (var signature in discovery.Signatures)
        {
            var check = CheckOne(signature, keys, manifestDigest, reference);
            if (check.Outcome == SignatureOutcome.Verified)
            {
                return check;
            }

            failures.Add(check);
        }

        var worst = failures.OrderBy(failure => Array.IndexOf(FailureRank, failure.Outcome)).First();
        return failures.Count == 1 ? worst : worst with { Reason = $"{worst.Reason} ({failures.Count} signatures checked, none valid)" };
    }

    private static SignatureCheck CheckOne(CosignSignature signature, IReadOnlyList<TrustedKey> keys, string manifestDigest, OciReference reference)
    {
        var at = signature.Location;
        if (signature.Problem is { } problem)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: {problem}");
        }

        if (string.IsNullOrEmpty(signature.SignatureText))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: the layer has no {CosignFormat.SignatureAnnotation} annotation");
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(signature.SignatureText);
        }
        catch (FormatException)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: the signature annotation is not base64");
        }

        if (!SimpleSigningPayload.TryParse(signature.Payload!, out var payload, out var payloadProblem))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: {payloadProblem}");
        }

        var malformed = 0;
        TrustedKey? signedOther = null;
        foreach (var key in keys)
        {
            switch (key.Check(signature.Payload!, raw))
            {
                case KeyCheck.Valid:
                    return Claims(payload, key, at, manifestDigest, reference);
                case KeyCheck.Malformed:
                    malformed++;
                    break;
                case KeyCheck.SignedOtherBytes:
                    signedOther ??= key;
                    break;
            }
        }

        if (signedOther is not null)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature,
                $"{at}: trusted key {signedOther.Fingerprint} made this signature over other bytes: the payload was altered after signing");
        }

        if (signature.HasCertificate)
        {
            return new SignatureCheck(SignatureOutcome.Keyless,
                $"{at}: keyless signatures (Fulcio certificate and transparency log) are not supported; sign with a key (cosign sign --key)");
        }

        if (malformed == keys.Count)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature,
                $"{at}: the signature is malformed for every trusted key ({string.Join(", ", keys.Select(k => k.Algorithm).Distinct())}): truncated, corrupted or of another algorithm");
        }

        return new SignatureCheck(SignatureOutcome.UntrustedKey,
            $"{at}: no trusted key verifies the signature: it was made with another key, or its payload or signature was altered after signing");
    }

    private static SignatureCheck Claims(SimpleSigningPayload payload, TrustedKey key, string at, string manifestDigest, OciReference reference)
    {
        if (payload.ManifestDigest != manifestDigest)
        {
            return new SignatureCheck(SignatureOutcome.DigestMismatch,
                $"{at}: trusted key {key.Fingerprint} signed manifest {payload.ManifestDigest}, not {manifestDigest}", key.Fingerprint);
        }

        if (!payload.NamesRepositoryOf(reference))
        {
            return new SignatureCheck(SignatureOutcome.ReferenceMismatch,
                $"{at}: trusted key {key.Fingerprint} signed this digest for '{payload.DockerReference}', not {reference.Registry}/{reference.Repository}", key.Fingerprint);
        }

        return new SignatureCheck(SignatureOutcome.Verified, $"{at}: signed by trusted key {key.Fingerprint} ({key.Algorithm}, {key.Source})", key.Fingerprint);
    }
}
