using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace ModelCsi.Core.Signing;

/// <summary>
/// A public key that signatures are checked against, as cosign uses it: ECDSA with SHA-256 over the payload
/// (DER-encoded signature), RSA PKCS#1 v1.5 with SHA-256 (PSS with SHA-256 also accepted), Ed25519 over the
/// raw payload.
/// </summary>
public sealed class TrustedKey
{
    private const string EcOid = "1.2.840.10045.2.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string Ed25519Oid = "1.3.101.112";
    private const int Ed25519SignatureBytes = 64;

    // DigestInfo prefix of SHA-256 in EMSA-PKCS1-v1_5 (RFC 8017 section 9.2, note 1).
    private static readonly byte[] Sha256DigestInfo = Convert.FromHexString("3031300d060960864801650304020105000420");

    // ECDsa and RSA instances are not documented as safe for concurrent use; mounts verify in parallel.
    private readonly Lock _lock = new();
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly Ed25519PublicKeyParameters? _ed25519;

    private TrustedKey(string source, string algorithm, byte[] spki, ECDsa? ecdsa, RSA? rsa, Ed25519PublicKeyParameters? ed25519)
    {
        Source = source;
        Algorithm = algorithm;
        Fingerprint = PemKeyText.Fingerprint(spki);
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
    }

    /// <summary>Where the key came from: its file path or "inline key".</summary>
    public string Source { get; }

    /// <summary>E.g. <c>ECDSA P-256</c>, <c>RSA 3072</c>, <c>Ed25519</c>.</summary>
    public string Algorithm { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the DER SubjectPublicKeyInfo.</summary>
    public string Fingerprint { get; }

    /// <summary>Loads a key from PEM text or a PEM file path.</summary>
    /// <exception cref="SignatureKeyException">Unreadable, not a public key, or an unsupported algorithm.</exception>
    public static TrustedKey Load(string pemOrPath)
    {
        var (pem, source) = PemKeyText.Read(pemOrPath);
        return FromPem(pem, source);
    }

    public static TrustedKey FromPem(string pem, string source)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var (label, der) = PemKeyText.FirstBlock(pem, source);
        if (label == "RSA PUBLIC KEY")
        {
            var pkcs1 = RSA.Create();
            ImportOrThrow(() => pkcs1.ImportRSAPublicKey(der, out _), source, label);
            der = pkcs1.ExportSubjectPublicKeyInfo();
            pkcs1.Dispose();
        }
        else if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new SignatureKeyException($"{source} is a private key ({label}); trust is given with the public key (cosign.pub)");
        }
        else if (label != "PUBLIC KEY")
        {
            throw new SignatureKeyException($"{source} holds a {label} block; a trusted key must be a PUBLIC KEY block");
        }

        string oid;
        try
        {
            oid = Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo.GetInstance(der).Algorithm.Algorithm.Id;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException)
        {
            throw new SignatureKeyException($"{source}: the PUBLIC KEY block is not a SubjectPublicKeyInfo ({e.Message})", e);
        }

        switch (oid)
        {
            case EcOid:
                var ecdsa = ECDsa.Create();
                ImportOrThrow(() => ecdsa.ImportSubjectPublicKeyInfo(der, out _), source, "EC public key");
                var curve = ecdsa.KeySize switch
                {
                    256 => "P-256",
                    384 => "P-384",
                    521 => "P-521",
                    _ => throw new SignatureKeyException($"{source}: ECDSA keys must use P-256, P-384 or P-521 (this one has {ecdsa.KeySize} bits)"),
                };
                return new TrustedKey(source, "ECDSA " + curve, der, ecdsa, null, null);
            case RsaOid:
                var rsa = RSA.Create();
                ImportOrThrow(() => rsa.ImportSubjectPublicKeyInfo(der, out _), source, "RSA public key");
                if (rsa.KeySize < 2048)
                {
                    throw new SignatureKeyException($"{source}: RSA keys shorter than 2048 bits are not trusted (this one has {rsa.KeySize})");
                }

                return new TrustedKey(source, $"RSA {rsa.KeySize}", der, null, rsa, null);
            case Ed25519Oid:
                var ed25519 = (Ed25519PublicKeyParameters)Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(der);
                return new TrustedKey(source, "Ed25519", der, null, null, ed25519);
            default:
                throw new SignatureKeyException($"{source}: key algorithm {oid} is not supported (ECDSA, RSA and Ed25519 are)");
        }
    }

    /// <summary>Checks one raw signature over the exact payload bytes.</summary>
    public KeyCheck Check(byte[] payload, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(signature);
        if (_ecdsa is not null)
        {
            lock (_lock)
            {
                return CheckEcdsa(_ecdsa, payload, signature);
            }
        }

        if (_rsa is not null)
        {
            lock (_lock)
            {
                return CheckRsa(_rsa, payload, signature);
            }
        }

        if (signature.Length != Ed25519SignatureBytes)
        {
            return KeyCheck.Malformed;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(false, _ed25519);
        verifier.BlockUpdate(payload, 0, payload.Length);
        return verifier.VerifySignature(signature) ? KeyCheck.Valid : KeyCheck.Invalid;
    }

    private static KeyCheck CheckEcdsa(ECDsa key, byte[] payload, byte[] signature)
    {
        if (!IsDerEcdsaSignature(signature, (key.KeySize + 7) / 8))
        {
            return KeyCheck.Malformed;
        }

        // cosign hashes with SHA-256 whatever the curve; the curve's own hash is accepted too (other signers use it).
        var curveHash = key.KeySize switch
        {
            384 => HashAlgorithmName.SHA384,
            521 => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
        return key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
            || (curveHash != HashAlgorithmName.SHA256 && key.VerifyData(payload, signature, curveHash, DSASignatureFormat.Rfc3279DerSequence))
            ? KeyCheck.Valid
            : KeyCheck.Invalid;
    }

    /// <summary>SEQUENCE { INTEGER r, INTEGER s } with nothing after it and both integers positive and field-sized.</summary>
    private static bool IsDerEcdsaSignature(byte[] signature, int fieldBytes)
    {
        try
        {
            var reader = new AsnReader(signature, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            for (var i = 0; i < 2; i++)
            {
                var value = sequence.ReadIntegerBytes().Span;
                var magnitude = value.Length > 0 && value[0] == 0 ? value[1..] : value;
                if (magnitude.Length == 0 || magnitude.Length > fieldBytes || (value[0] & 0x80) != 0)
                {
                    return false;
                }
            }

            sequence.ThrowIfNotEmpty();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static KeyCheck CheckRsa(RSA key, byte[] payload, byte[] signature)
    {
        var parameters = key.ExportParameters(false);
        var modulus = new BigInteger(parameters.Modulus, isUnsigned: true, isBigEndian: true);
        var value = new BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (signature.Length != parameters.Modulus!.Length || value >= modulus)
        {
            return KeyCheck.Malformed;
        }

        if (key.VerifyData(payload, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            || key.VerifyData(payload, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss))
        {
            return KeyCheck.Valid;
        }

        // RSA, unlike EC, shows whether this key made the signature at all: a well-formed PKCS#1 v1.5 SHA-256
        // encoding under the public operation means the key signed different bytes (a tampered payload).
        var exponent = new BigInteger(parameters.Exponent, isUnsigned: true, isBigEndian: true);
        var encoded = BigInteger.ModPow(value, exponent, modulus).ToByteArray(isUnsigned: true, isBigEndian: true);
        var length = parameters.Modulus.Length;
        var expectedTail = Sha256DigestInfo.Length + 32;
        // Leading zero byte is dropped by ToByteArray: the encoding is 00 01 FF..FF 00 DigestInfo hash.
        if (encoded.Length == length - 1 && encoded[0] == 0x01
            && encoded.Length - expectedTail - 1 >= 9
            && encoded[encoded.Length - expectedTail - 1] == 0x00
            && encoded.AsSpan(1, encoded.Length - expectedTail - 2).IndexOfAnyExcept((byte)0xFF) < 0
            && encoded.AsSpan(encoded.Length - expectedTail, Sha256DigestInfo.Length).SequenceEqual(Sha256DigestInfo))
        {
            return KeyCheck.SignedOtherBytes;
        }

        return KeyCheck.Invalid;
    }

    private static void ImportOrThrow(Action import, string source, string what)
    {
        try
        {
            import();
        }
        catch (CryptographicException e)
        {
            throw new SignatureKeyException($"{source}: not a valid {what} ({e.Message})", e);
        }
    }
}
