using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace ModelCsi.Core.Oci;

/// <summary>sha256 content digests in their OCI string form (<c>sha256:&lt;64 hex&gt;</c>).</summary>
public static partial class Digest
{
    public const string Sha256Prefix = "sha256:";

    [GeneratedRegex("^sha256:[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Pattern();

    public static bool IsValidSha256(string? digest) => digest is not null && Sha256Pattern().IsMatch(digest);

    /// <summary>The 64 hex characters of a validated sha256 digest, for use as a file name.</summary>
    public static string Hex(string digest) =>
        IsValidSha256(digest)
            ? digest[Sha256Prefix.Length..]
            : throw new ArgumentException($"'{digest}' is not a sha256 digest (sha256:<64 lowercase hex>)", nameof(digest));

    public static string Of(ReadOnlySpan<byte> content) =>
        Sha256Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    public static string FromHash(byte[] sha256) => Sha256Prefix + Convert.ToHexStringLower(sha256);

    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return FromHash(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
