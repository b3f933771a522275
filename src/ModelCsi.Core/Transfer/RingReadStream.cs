using System.Buffers;
using System.Threading.Channels;
using ModelCsi.Core.IO;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// What a consumer (the tar unpacker) reads: the ring's chunks in order, copied once into the
/// consumer's buffer. The end of the stream is only reported after <c>verified</c> completed, so a
/// consumer never sees a clean end of a blob whose digest or size is wrong; it gets the error instead.
/// <see cref="Position"/> is the offset in the blob (a resumed fetch starts at <c>start</c>).
/// </summary>
/// <param name="startState">The SHA-256 state at <c>start</c>, for <see cref="ResumePointAsync"/>; null when the fetch cannot resume.</param>
internal sealed class RingReadStream(ChannelReader<Chunk> chunks, Task verified, long length, long start = 0, byte[]? startState = null) : ReadOnlyStreamBase
{
    private Chunk? _current;
    private Chunk? _previous;
    private int _used;
    private long _position = start;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    // Chunks arrive asynchronously; a synchronous reader waits on the async path through a pooled buffer.
    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_current is null)
        {
            if (!await chunks.WaitToReadAsync(cancellationToken) || !chunks.TryRead(out _current))
            {
                await verified.WaitAsync(cancellationToken);
                return 0;
            }

            _used = 0;
        }

        var count = Math.Min(buffer.Length, _current.Length - _used);
        _current.Memory.Slice(_used, count).CopyTo(buffer);
        _used += count;
        _position += count;
        if (_used == _current.Length)
        {
            _current.Release();
            _previous = _current;
            _current = null;
        }

        return count;
    }

    /// <summary>
    /// Where a later fetch could continue from if the consumer stopped right here: <see cref="Position"/> and the
    /// SHA-256 state of the blob's bytes before it. That is the hasher's state at the end of the last chunk
    /// consumed (waited for when the hasher is behind), continued over the part of the current chunk already read:
    /// at most one buffer hashed twice per call.
    /// </summary>
    public async ValueTask<BlobResumePoint> ResumePointAsync(CancellationToken cancellationToken)
    {
        if (startState is null)
        {
            throw new InvalidOperationException("this fetch does not track resume points");
        }

        var before = _previous is null ? startState : await _previous.StateAfter.Task.WaitAsync(cancellationToken);
        if (_current is null || _used == 0)
        {
            return new BlobResumePoint(_position, before);
        }

        var context = Sha256Context.TryRestore(before) ?? throw new InvalidOperationException("the hasher produced an invalid state");
        context.Append(_current.Span[.._used]);
        return new BlobResumePoint(_position, context.Snapshot());
    }

    /// <summary>Releases what the consumer left unread, so the hasher can finish the blob.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _current?.Release();
        _current = null;
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            chunk.Release();
        }
    }
}
