namespace ModelCsi.Core.Tests.Transfer;

/// <summary>
/// A blob served from memory through <see cref="OpenAt"/>, recording each offset asked for. The bodies
/// it hands out can be cut: the n-th body opened throws an IOException after a given number of bytes,
/// as a socket does when the connection drops mid-body. Bodies return small, uneven reads.
/// </summary>
internal sealed class ScriptedBlobSource(byte[] content)
{
    private readonly Lock _lock = new();
    private readonly List<long> _opened = [];
    private readonly Dictionary<int, long> _cuts = [];

    public IReadOnlyList<long> OpenedAt
    {
        get
        {
            lock (_lock)
            {
                return [.. _opened];
            }
        }
    }

    /// <summary>The body opened as number <paramref name="opening"/> (0-based) breaks after <paramref name="afterBytes"/> bytes.</summary>
    public ScriptedBlobSource CutOpening(int opening, long afterBytes)
    {
        _cuts[opening] = afterBytes;
        return this;
    }

    public Task<Stream> OpenAt(long offset, CancellationToken cancellationToken)
    {
        int opening;
        lock (_lock)
        {
            opening = _opened.Count;
            _opened.Add(offset);
        }

        long? cut = _cuts.TryGetValue(opening, out var after) ? after : null;
        return Task.FromResult<Stream>(new Body(content, offset, cut));
    }

    private sealed class Body(byte[] content, long offset, long? cutAfter) : Stream
    {
        private long _position = offset;
        private long _served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (cutAfter is { } cut && _served >= cut)
            {
                throw new IOException("connection reset by peer (scripted)");
            }

            // Uneven reads, like a socket's: at most 37 KiB, and never past a scripted cut.
            var limit = Math.Min(buffer.Length, 37 * 1024 + (int)(_position % 1000));
            if (cutAfter is { } c)
            {
                limit = (int)Math.Min(limit, c - _served);
            }

            var n = (int)Math.Min(limit, content.Length - _position);
            if (n <= 0)
            {
                return 0;
            }

            content.AsSpan((int)_position, n).CopyTo(buffer);
            _position += n;
            _served += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
