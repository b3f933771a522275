using System.Security.Cryptography;

namespace ModelCsi.Core.Signing;

/// <summary>Reads a key given as PEM text or as the path of a PEM file, bounded in size.</summary>
internal static class PemKeyText
{
    private const int MaxKeyFileBytes = 64 * 1024;

    /// <summary>The PEM text and a description for messages (the file path, or "inline key").</summary>
    public static (string Pem, string Source) Read(string pemOrPath)
    {
        ArgumentNullException.ThrowIfNull(pemOrPath);
        if (pemOrPath.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return (pemOrPath, "inline key");
        }

        var path = pemOrPath.Trim();
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new SignatureKeyException($"key file '{path}' does not exist");
            }

            if (info.Length > MaxKeyFileBytes)
            {
                throw new SignatureKeyException($"key file '{path}' is {info.Length} bytes; a PEM key is at most {MaxKeyFileBytes}");
            }

            return (File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SignatureKeyException($"key file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The first PEM block: its label and DER bytes.</summary>
    public static (string Label, byte[] Der) FirstBlock(string pem, string source)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new SignatureKeyException($"{source} is not a PEM key (no -----BEGIN ...----- block)");
        }

        var label = pem[fields.Label].ToString();
        try
        {
            return (label, Convert.FromBase64String(pem[fields.Base64Data].ToString()));
        }
        catch (FormatException e)
        {
            throw new SignatureKeyException($"{source}: the {label} block is not valid base64", e);
        }
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of a DER SubjectPublicKeyInfo: the key's fingerprint in verdicts and logs.</summary>
    public static string Fingerprint(byte[] subjectPublicKeyInfo) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));
}
