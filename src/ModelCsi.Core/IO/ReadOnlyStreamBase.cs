namespace ModelCsi.Core.IO;

/// <summary>
/// Base of the forward-only, read-only stream wrappers (digest checks, resumable downloads, views of
/// response bodies): it says no to writing and seeking once, and routes the array overloads of
/// <c>Read</c>/<c>ReadAsync</c> to the span/memory ones so a subclass implements reading in one place each.
/// </summary>
public abstract class ReadOnlyStreamBase : Stream
{
    public override bool CanRead => true;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => false;

    /// <summary>Unknown unless a subclass knows it.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Readable only where a subclass counts bytes; never settable.</summary>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // Stream's own Read(Span) rents an array and calls Read(byte[]), which would loop back here.
    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override void Flush()
    {
    }

    public sealed override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public sealed override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();

    public sealed override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromException(new NotSupportedException());
}
