using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace ModelCsi.Core.Signing;

/// <summary>
/// A private key that signs simple-signing payloads the way cosign does: ECDSA with SHA-256 (DER signature),
/// RSA PKCS#1 v1.5 with SHA-256, or Ed25519 over the raw payload. Read from unencrypted PEM (PKCS#8,
/// SEC1 <c>EC PRIVATE KEY</c> or PKCS#1 <c>RSA PRIVATE KEY</c>).
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private SigningKey(ECDsa? ecdsa, RSA? rsa, Ed25519PrivateKeyParameters? ed25519, byte[] publicKeyInfo)
    {
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
        PublicKeyInfo = publicKeyInfo;
        Fingerprint = PemKeyText.Fingerprint(publicKeyInfo);
    }

    /// <summary>DER SubjectPublicKeyInfo of the matching public key.</summary>
    public byte[] PublicKeyInfo { get; }

    public string Fingerprint { get; }

    /// <summary>The public key as PEM, what verifiers are given.</summary>
    public string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", PublicKeyInfo);

    /// <exception cref="SignatureKeyException">Unreadable, encrypted, or not a supported private key.</exception>
    public static SigningKey Load(string path)
    {
        var (pem, source) = PemKeyText.Read(path);
        return FromPem(pem, source);
    }

    public static SigningKey FromPem(string pem, string source)
    {
        var (label, der) = PemKeyText.FirstBlock(pem, source);
        if (label.Contains("ENCRYPTED", StringComparison.Ordinal))
        {
            throw new SignatureKeyException(
                $"{source} is an encrypted key ({label}); encrypted keys (cosign's own format included) are not supported: "
                + "sign with cosign, or give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)");
        }

        try
        {
            switch (label)
            {
                case "EC PRIVATE KEY":
                    var sec1 = ECDsa.Create();
                    sec1.ImportECPrivateKey(der, out _);
                    return new SigningKey(sec1, null, null, sec1.ExportSubjectPublicKeyInfo());
                case "RSA PRIVATE KEY":
                    var pkcs1 = RSA.Create();
                    pkcs1.ImportRSAPrivateKey(der, out _);
                    return new SigningKey(null, pkcs1, null, pkcs1.ExportSubjectPublicKeyInfo());
                case "PRIVATE KEY":
                    return FromPkcs8(der, source);
                default:
                    throw new SignatureKeyException($"{source} holds a {label} block; signing needs a PRIVATE KEY");
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidCastException or IOException)
        {
            throw new SignatureKeyException($"{source}: not a valid {label} ({e.Message})", e);
        }
    }

    private static SigningKey FromPkcs8(byte[] der, string source)
    {
        var oid = Org.BouncyCastle.Asn1.Pkcs.PrivateKeyInfo.GetInstance(der).PrivateKeyAlgorithm.Algorithm.Id;
        switch (oid)
        {
            case "1.2.840.10045.2.1":
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(der, out _);
                return new SigningKey(ecdsa, null, null, ecdsa.ExportSubjectPublicKeyInfo());
            case "1.2.840.113549.1.1.1":
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(der, out _);
                return new SigningKey(null, rsa, null, rsa.ExportSubjectPublicKeyInfo());
            case "1.3.101.112":
                var ed25519 = (Ed25519PrivateKeyParameters)Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(der);
                var spki = Org.BouncyCastle.X509.SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(ed25519.GeneratePublicKey()).GetDerEncoded();
                return new SigningKey(null, null, ed25519, spki);
            default:
                throw new SignatureKeyException($"{source}: key algorithm {oid} is not supported (ECDSA, RSA and Ed25519 are)");
        }
    }

    /// <summary>The raw signature over <paramref name="payload"/> (base64 of it goes into the layer annotation).</summary>
    public byte[] Sign(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        if (_rsa is not null)
        {
            return _rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var signer = new Ed25519Signer();
        signer.Init(true, _ed25519);
        signer.BlockUpdate(payload, 0, payload.Length);
        return signer.GenerateSignature();
    }

    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }
}
