using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// Decides whether any found signature was made by a trusted key over a payload naming this manifest digest
/// (and this repository, when a simple-signing payload names one). Pure: no I/O.
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
        SignatureOutcome.NoSignature,
    ];

    public static SignatureCheck Check(SignatureDiscovery discovery, IReadOnlyList<TrustedKey> keys, string manifestDigest, OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(discovery);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(reference);
        if (discovery.Signatures.Count == 0)
        {
            var referrers = discovery.ReferrersApi ? "the referrers API" : $"the referrers tag {CosignFormat.ReferrersTag(manifestDigest)}";
            return new SignatureCheck(SignatureOutcome.NoSignature, $"no cosign signature at tag {CosignFormat.SignatureTag(manifestDigest)} or in {referrers}");
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

        return signature.IsBundle
            ? CheckBundle(signature, keys, manifestDigest)
            : CheckSimpleSigning(signature, keys, manifestDigest, reference);
    }

    private static SignatureCheck CheckSimpleSigning(CosignSignature signature, IReadOnlyList<TrustedKey> keys, string manifestDigest, OciReference reference)
    {
        var at = signature.Location;
        if (string.IsNullOrEmpty(signature.SignatureText))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: the layer has no {CosignFormat.SignatureAnnotation} annotation");
        }

        if (!TryBase64(signature.SignatureText, out var raw))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: the signature annotation is not base64");
        }

        if (!SimpleSigningPayload.TryParse(signature.Payload!, out var payload, out var payloadProblem))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: {payloadProblem}");
        }

        var result = KeysOver(signature.Payload!, [raw], keys);
        if (result.Valid is not { } key)
        {
            return Unverified(at, result, signature.HasCertificate, keys);
        }

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

        return Verified(at, key);
    }

    private static SignatureCheck CheckBundle(CosignSignature signature, IReadOnlyList<TrustedKey> keys, string manifestDigest)
    {
        var at = signature.Location;
        if (!SigstoreBundle.TryParse(signature.Payload!, out var bundle, out var bundleProblem))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: {bundleProblem}");
        }

        var raws = new List<byte[]>();
        foreach (var text in bundle.Signatures)
        {
            if (TryBase64(text, out var raw))
            {
                raws.Add(raw);
            }
        }

        if (raws.Count == 0)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: the bundle's DSSE envelope has no base64 signature");
        }

        var result = KeysOver(bundle.PreAuthenticationEncoding(), raws, keys);
        if (result.Valid is not { } key)
        {
            return Unverified(at, result, bundle.HasCertificate || signature.HasCertificate, keys);
        }

        if (!bundle.TryReadStatement(out var predicateType, out var subjects, out var statementProblem))
        {
            return new SignatureCheck(SignatureOutcome.BadSignature, $"{at}: {statementProblem}");
        }

        if (predicateType != SigstoreBundle.SignPredicateType)
        {
            return new SignatureCheck(SignatureOutcome.NoSignature,
                $"{at}: trusted key {key.Fingerprint} signed an attestation of type {predicateType}, not a signature ({SigstoreBundle.SignPredicateType})");
        }

        return subjects.Contains(manifestDigest)
            ? Verified(at, key)
            : new SignatureCheck(SignatureOutcome.DigestMismatch,
                $"{at}: trusted key {key.Fingerprint} signed {string.Join(", ", subjects.Take(3))}, not {manifestDigest}", key.Fingerprint);
    }

    private static SignatureCheck Verified(string at, TrustedKey key) =>
        new(SignatureOutcome.Verified, $"{at}: signed by trusted key {key.Fingerprint} ({key.Algorithm}, {key.Source})", key.Fingerprint);

    private static SignatureCheck Unverified(string at, KeyResult result, bool hasCertificate, IReadOnlyList<TrustedKey> keys)
    {
        if (result.SignedOther is { } signedOther)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature,
                $"{at}: trusted key {signedOther.Fingerprint} made this signature over other bytes: the payload was altered after signing");
        }

        if (hasCertificate)
        {
            return new SignatureCheck(SignatureOutcome.Keyless,
                $"{at}: keyless signatures (Fulcio certificate and transparency log) are not supported; sign with a key (cosign sign --key)");
        }

        if (result.AllMalformed)
        {
            return new SignatureCheck(SignatureOutcome.BadSignature,
                $"{at}: the signature is malformed for every trusted key ({string.Join(", ", keys.Select(k => k.Algorithm).Distinct())}): truncated, corrupted or of another algorithm");
        }

        return new SignatureCheck(SignatureOutcome.UntrustedKey,
            $"{at}: no trusted key verifies the signature: it was made with another key, or its payload or signature was altered after signing");
    }

    private static KeyResult KeysOver(byte[] signed, IReadOnlyList<byte[]> signatures, IReadOnlyList<TrustedKey> keys)
    {
        var checks = 0;
        var malformed = 0;
        TrustedKey? signedOther = null;
        foreach (var raw in signatures)
        {
            foreach (var key in keys)
            {
                checks++;
                switch (key.Check(signed, raw))
                {
                    case KeyCheck.Valid:
                        return new KeyResult(key, null, false);
                    case KeyCheck.Malformed:
                        malformed++;
                        break;
                    case KeyCheck.SignedOtherBytes:
                        signedOther ??= key;
                        break;
                }
            }
        }

        return new KeyResult(null, signedOther, checks > 0 && malformed == checks);
    }

    private static bool TryBase64(string text, out byte[] raw)
    {
        try
        {
            raw = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            raw = [];
            return false;
        }
    }

    private sealed record KeyResult(TrustedKey? Valid, TrustedKey? SignedOther, bool AllMalformed);
}
