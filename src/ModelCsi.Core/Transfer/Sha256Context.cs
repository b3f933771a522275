using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// SHA-256 whose state can be saved and continued later: OpenSSL's <c>SHA256_CTX</c> (the same libcrypto
/// and the same SHA-NI code that <see cref="System.Security.Cryptography.IncrementalHash"/> runs on Linux),
/// held in a managed byte array. A copy of the array is a snapshot: a tar layer's checkpoint stores it, so a
/// resumed download hashes only the bytes after the checkpoint and still verifies the whole blob.
/// </summary>
/// <remarks>
/// <c>SHA256_CTX</c> is a plain struct on every OpenSSL platform: <c>h[8]</c>, <c>Nl</c>, <c>Nh</c> (the bit
/// count), <c>data[16]</c> (the pending block), <c>num</c> (bytes pending), <c>md_len</c> (32): 28 unsigned
/// 32-bit words. The low-level calls are deprecated in OpenSSL 3 but exported, and unlike EVP's they need no
/// allocation and expose the state.
/// </remarks>
internal sealed partial class Sha256Context
{
    /// <summary>sizeof(SHA256_CTX).</summary>
    public const int StateSize = 112;

    private const string LibCrypto = "libcrypto.so.3";

    private readonly byte[] _state;

    public Sha256Context()
    {
        _state = new byte[StateSize];
        if (Init(_state) != 1)
        {
            throw new InvalidOperationException("SHA256_Init failed");
        }
    }

    private Sha256Context(byte[] state) => _state = state;

    /// <summary>Bytes hashed so far (from the context's bit count).</summary>
    public long BytesHashed => BytesHashedBy(_state);

    /// <summary>Continues from a saved <see cref="Snapshot"/>; null when it is not one (wrong length or inconsistent fields).</summary>
    public static Sha256Context? TryRestore(ReadOnlySpan<byte> snapshot) =>
        IsPlausible(snapshot) ? new Sha256Context(snapshot.ToArray()) : null;

    /// <summary>
    /// Whether <paramref name="snapshot"/> could be a context: its size, <c>md_len</c> 32, fewer than 64 bytes pending,
    /// and a bit count whose remainder matches them. A tampered state that passes is caught by the blob's digest.
    /// </summary>
    public static bool IsPlausible(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.Length != StateSize)
        {
            return false;
        }

        var num = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[104..]);
        var mdLen = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[108..]);
        var nl = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[32..]);
        return mdLen == 32 && num < 64 && nl % 8 == 0 && (nl / 8) % 64 == num;
    }

    public static long BytesHashedBy(ReadOnlySpan<byte> snapshot)
    {
        var nl = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[32..]);
        var nh = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[36..]);
        return (long)((((ulong)nh << 32) | nl) / 8);
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (Update(_state, data, (nuint)data.Length) != 1)
        {
            throw new InvalidOperationException("SHA256_Update failed");
        }
    }

    /// <summary>A copy of the state: continue it with <see cref="TryRestore"/>.</summary>
    public byte[] Snapshot() => (byte[])_state.Clone();

    /// <summary>The digest (<c>sha256:hex</c>) of everything appended; the context itself is left as it was.</summary>
    public string Digest()
    {
        var copy = Snapshot();
        Span<byte> hash = stackalloc byte[32];
        if (Final(hash, copy) != 1)
        {
            throw new InvalidOperationException("SHA256_Final failed");
        }

        return Oci.Digest.FromHash(hash.ToArray());
    }

    [LibraryImport(LibCrypto, EntryPoint = "SHA256_Init")]
    private static partial int Init(Span<byte> context);

    [LibraryImport(LibCrypto, EntryPoint = "SHA256_Update")]
    private static partial int Update(Span<byte> context, ReadOnlySpan<byte> data, nuint length);

    [LibraryImport(LibCrypto, EntryPoint = "SHA256_Final")]
    private static partial int Final(Span<byte> digest, Span<byte> context);
}
