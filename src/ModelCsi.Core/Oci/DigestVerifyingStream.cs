using System.Security.Cryptography;
using ModelCsi.Core.IO;

namespace ModelCsi.Core.Oci;

/// <summary>
/// A read-only stream that hashes what passes through it and, when the inner stream ends, throws
/// <see cref="DigestMismatchException"/> unless size and sha256 match the expected ones. To resume a
/// partial download, seed it with the bytes already on disk before reading the rest.
/// </summary>
public sealed class DigestVerifyingStream : ReadOnlyStreamBase
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _readStarted;

    public DigestVerifyingStream(Stream inner, string expectedDigest, long expectedSize, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!Oci.Digest.IsValidSha256(expectedDigest))
        {
            throw new ArgumentException($"'{expectedDigest}' is not a sha256 digest; only sha256 can be verified", nameof(expectedDigest));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(expectedSize);
        _inner = inner;
        _leaveOpen = leaveOpen;
        ExpectedDigest = expectedDigest;
        ExpectedSize = expectedSize;
    }

    public DigestVerifyingStream(Stream inner, OciDescriptor expected, bool leaveOpen = false)
        : this(inner, expected?.Digest ?? throw new ArgumentNullException(nameof(expected)), expected.Size, leaveOpen)
    {
    }

    public string ExpectedDigest { get; }

    public long ExpectedSize { get; }

    /// <summary>Bytes hashed so far, seeded ones included.</summary>
    public long BytesHashed { get; private set; }

    /// <summary>True once the inner stream ended and size and digest matched.</summary>
    public bool Verified { get; private set; }

    /// <summary>Adds bytes that were read earlier (e.g. a partial file) to the hash. Only before reading.</summary>
    public void Seed(ReadOnlySpan<byte> alreadyRead)
    {
        if (_readStarted)
        {
            throw new InvalidOperationException("Seed before reading from the stream");
        }

        Append(alreadyRead);
    }

    /// <summary>Hashes everything <paramref name="alreadyRead"/> yields; returns the number of bytes.</summary>
    public async Task<long> SeedAsync(Stream alreadyRead, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alreadyRead);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await alreadyRead.ReadAsync(buffer, cancellationToken)) > 0)
        {
            Seed(buffer.AsSpan(0, n));
            total += n;
        }

        return total;
    }

    public override long Position
    {
        get => BytesHashed;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        _readStarted = true;
        var n = _inner.Read(buffer);
        return Account(buffer[..n], buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _readStarted = true;
        var n = await _inner.ReadAsync(buffer, cancellationToken);
        return Account(buffer.Span[..n], buffer.Length);
    }

    private int Account(ReadOnlySpan<byte> read, int requested)
    {
        if (read.Length == 0)
        {
            if (requested > 0)
            {
                VerifyAtEnd();
            }

            return 0;
        }

        Append(read);
        return read.Length;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        BytesHashed += data.Length;
        if (BytesHashed > ExpectedSize)
        {
            throw new DigestMismatchException(ExpectedDigest, ExpectedSize, Oci.Digest.FromHash(_hash.GetCurrentHash()), BytesHashed,
                "more bytes than expected");
        }
    }

    private void VerifyAtEnd()
    {
        if (Verified)
        {
            return;
        }

        var actual = Oci.Digest.FromHash(_hash.GetCurrentHash());
        if (BytesHashed != ExpectedSize || actual != ExpectedDigest)
        {
            throw new DigestMismatchException(ExpectedDigest, ExpectedSize, actual, BytesHashed);
        }

        Verified = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _hash.Dispose();
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
