namespace ModelCsi.TestSupport;

/// <summary>
/// A non-seekable stream of <see cref="Length"/> deterministic bytes produced on the fly (a 1 MiB
/// random block whose first 8 bytes carry the block number), so gigabyte blobs need no disk or memory.
/// Records the most managed memory seen while it was read.
/// </summary>
public sealed class PatternStream : Stream
{
    private const int BlockSize = 1 << 20;
    private readonly byte[] _template = OciTestContent.RandomBytes(BlockSize, 7);
    private readonly long _length;
    private long _position;

    public PatternStream(long length) => _length = length;

    public long MaxManagedBytesSeen { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length && _position < _length)
        {
            var block = _position / BlockSize;
            var inBlock = (int)(_position % BlockSize);
            var n = (int)Math.Min(Math.Min(buffer.Length - total, BlockSize - inBlock), _length - _position);
            var source = _template.AsSpan(inBlock, n);
            source.CopyTo(buffer.Slice(total, n));
            for (var i = inBlock; i < Math.Min(8, inBlock + n); i++)
            {
                buffer[total + i - inBlock] = (byte)(block >> (8 * i));
            }

            total += n;
            _position += n;
        }

        MaxManagedBytesSeen = Math.Max(MaxManagedBytesSeen, GC.GetTotalMemory(false));
        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
