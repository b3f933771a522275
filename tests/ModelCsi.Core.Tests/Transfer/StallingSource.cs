namespace ModelCsi.Core.Tests.Transfer;

/// <summary>Serves a blob's first bytes, then never sends another (until cancelled), as a hung server does.</summary>
internal sealed class StallingSource(byte[] content, int stallAfter, Action? onStall = null)
{
    public Task<Stream> OpenAt(long offset, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new Body(content, (int)offset, stallAfter, onStall));

    private sealed class Body(byte[] content, int position, int stallAfter, Action? onStall) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= stallAfter)
            {
                onStall?.Invoke();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var n = Math.Min(buffer.Length, stallAfter - position);
            content.AsMemory(position, n).CopyTo(buffer);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
