using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace ModelCsi.Core.Signing;

/// <summary>
/// A sigstore bundle (<c>application/vnd.dev.sigstore.bundle.v0.3+json</c>) as cosign 3 attaches it to an image: a
/// DSSE envelope whose payload is an in-toto statement with predicate type <c>https://sigstore.dev/cosign/sign/v1</c>
/// and the image digest as subject. Only what a key-based check needs is read; transparency-log entries are ignored.
/// </summary>
public sealed record SigstoreBundle
{
    public const int MaxBytes = 256 * 1024;
    public const string SignPredicateType = "https://sigstore.dev/cosign/sign/v1";
    private const int MaxSignatures = 8;

    public required string PayloadType { get; init; }

    public required byte[] Payload { get; init; }

    public required IReadOnlyList<string> Signatures { get; init; }

    /// <summary>True when the verification material is a certificate (keyless), not a public-key hint.</summary>
    public bool HasCertificate { get; init; }

    /// <summary>DSSE pre-authentication encoding: what the envelope's signatures sign.</summary>
    public byte[] PreAuthenticationEncoding()
    {
        var type = Encoding.UTF8.GetBytes(PayloadType);
        var header = Encoding.UTF8.GetBytes($"DSSEv1 {type.Length} {PayloadType} {Payload.Length} ");
        return [.. header, .. Payload];
    }

    public static bool TryParse(byte[] content, [NotNullWhen(true)] out SigstoreBundle? bundle, out string problem)
    {
        ArgumentNullException.ThrowIfNull(content);
        bundle = null;
        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "the bundle is not a JSON object";
                return false;
            }

            var hasCertificate = root.TryGetProperty("verificationMaterial", out var material) && material.ValueKind == JsonValueKind.Object
                && (material.TryGetProperty("certificate", out _) || material.TryGetProperty("x509CertificateChain", out _));
            if (!root.TryGetProperty("dsseEnvelope", out var envelope) || envelope.ValueKind != JsonValueKind.Object)
            {
                problem = root.TryGetProperty("messageSignature", out _)
                    ? "the bundle holds a message signature (cosign sign-blob), not an image signature"
                    : "the bundle has no dsseEnvelope";
                return false;
            }

            if (!envelope.TryGetProperty("payloadType", out var payloadType) || payloadType.ValueKind != JsonValueKind.String
                || !envelope.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.String
                || !envelope.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array)
            {
                problem = "the bundle's dsseEnvelope lacks payloadType, payload or signatures";
                return false;
            }

            var sigs = signatures.EnumerateArray()
                .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("sig", out var sig) && sig.ValueKind == JsonValueKind.String)
                .Take(MaxSignatures)
                .Select(s => s.GetProperty("sig").GetString()!)
                .ToList();
            bundle = new SigstoreBundle
            {
                PayloadType = payloadType.GetString()!,
                Payload = Convert.FromBase64String(payload.GetString()!),
                Signatures = sigs,
                HasCertificate = hasCertificate,
            };
            problem = "";
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            problem = $"the bundle is not valid ({e.Message})";
            return false;
        }
    }

    /// <summary>Reads the in-toto statement of the payload: its predicate type and subject sha256 digests.</summary>
    public bool TryReadStatement([NotNullWhen(true)] out string? predicateType, out IReadOnlyList<string> subjectDigests, out string problem)
    {
        predicateType = null;
        subjectDigests = [];
        try
        {
            using var document = JsonDocument.Parse(Payload, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("predicateType", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("subject", out var subjects) || subjects.ValueKind != JsonValueKind.Array)
            {
                problem = "the DSSE payload is not an in-toto statement (no predicateType or subject)";
                return false;
            }

            predicateType = type.GetString()!;
            subjectDigests = [.. subjects.EnumerateArray()
                .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("sha256", out var hex) && hex.ValueKind == JsonValueKind.String)
                .Select(s => "sha256:" + s.GetProperty("digest").GetProperty("sha256").GetString())];
            problem = "";
            return true;
        }
        catch (JsonException e)
        {
            problem = $"the DSSE payload is not JSON ({e.Message})";
            return false;
        }
    }
}
