using System.Threading.Channels;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// What a consumer (the tar unpacker) reads: the ring's chunks in order, copied once into the
/// consumer's buffer. The end of the stream is only reported after <c>verified</c> completed, so a
/// consumer never sees a clean end of a blob whose digest or size is wrong; it gets the error instead.
/// </summary>
internal sealed class RingReadStream(ChannelReader<Chunk> chunks, Task verified, long length) : Stream
{
    private Chunk? _current;
    private int _used;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
            _current = null;
        }

        return count;
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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
