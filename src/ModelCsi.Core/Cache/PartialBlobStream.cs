using System.Buffers;
using System.Security.Cryptography;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Reads a blob from start to end, verifying it: first the bytes an earlier attempt already saved in
/// the <c>.partial</c> file, then the rest from the registry, appending those to the file as they pass.
/// A crash or kill at any moment leaves a file holding a prefix of the blob, so the next attempt
/// resumes where this one stopped instead of starting over. Size and sha256 are checked when the
/// last byte has been read; a mismatch throws and the partial file is deleted by the owner.
/// </summary>
internal sealed class PartialBlobStream : Stream
{
    private readonly FileStream _partial;
    private readonly long _alreadySaved;
    private readonly OciDescriptor _blob;
    private readonly Func<long, CancellationToken, Task<Stream>> _openRemote;
    private readonly Action<int>? _onRead;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _remote;
    private long _position;
    private bool _verified;

    /// <param name="partial">The partial file, opened read/write; bytes past the first
    /// <paramref name="alreadySaved"/> are discarded.</param>
    /// <param name="openRemote">Opens the registry stream at an offset.</param>
    /// <param name="onRead">Told how many bytes each read returned (progress reporting).</param>
    public PartialBlobStream(FileStream partial, long alreadySaved, OciDescriptor blob, Func<long, CancellationToken, Task<Stream>> openRemote, Action<int>? onRead = null)
    {
        _onRead = onRead;
        _partial = partial;
        _alreadySaved = Math.Min(alreadySaved, blob.Size);
        _blob = blob;
        _openRemote = openRemote;
        _partial.SetLength(_alreadySaved);
        _partial.Position = 0;
    }

    /// <summary>Bytes this stream took from the registry (not from the partial file).</summary>
    public long BytesDownloaded { get; private set; }

    /// <summary>Bytes that were already on disk from an earlier attempt.</summary>
    public long BytesResumed => _alreadySaved;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _blob.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = Read(rented, 0, buffer.Length);
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_position >= _blob.Size)
        {
            Verify();
            return 0;
        }

        var wanted = (int)Math.Min(buffer.Length, _blob.Size - _position);
        int read;
        if (_position < _alreadySaved)
        {
            wanted = (int)Math.Min(wanted, _alreadySaved - _position);
            read = await _partial.ReadAsync(buffer[..wanted], cancellationToken);
            if (read == 0)
            {
                throw new IOException($"partial file of blob {_blob.Digest} ended at {_position} bytes, expected {_alreadySaved}");
            }
        }
        else
        {
            _remote ??= await _openRemote(_position, cancellationToken);
            read = await _remote.ReadAsync(buffer[..wanted], cancellationToken);
            if (read == 0)
            {
                throw new DigestMismatchException(_blob.Digest, _blob.Size, "(stream ended early)", _position, $"blob {_blob.Digest}");
            }

            // Appends always go to the end: the file holds exactly the bytes read so far.
            _partial.Seek(0, SeekOrigin.End);
            await _partial.WriteAsync(buffer[..read], cancellationToken);
            BytesDownloaded += read;
        }

        _hash.AppendData(buffer.Span[..read]);
        _position += read;
        _onRead?.Invoke(read);
        if (_position == _blob.Size)
        {
            Verify();
        }

        return read;
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }

        var actual = Digest.FromHash(_hash.GetHashAndReset());
        if (!string.Equals(actual, _blob.Digest, StringComparison.Ordinal))
        {
            throw new DigestMismatchException(_blob.Digest, _blob.Size, actual, _position, $"blob {_blob.Digest}");
        }

        _verified = true;
    }

    /// <summary>True once every byte was read and the digest matched.</summary>
    public bool IsVerified => _verified;

    public override void Flush() => _partial.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _remote?.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_remote is not null)
        {
            await _remote.DisposeAsync();
        }

        _hash.Dispose();
        await base.DisposeAsync();
    }
}
