using ModelCsi.Core.IO;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A read-only pass-through that counts bytes and fails once more than <c>limit</c> bytes come out,
/// so a decompression bomb stops at the limit instead of at a full disk.
/// </summary>
internal sealed class LimitedReadStream(Stream inner, long limit, Func<long, Exception> exceeded) : ReadOnlyStreamBase
{
    public long BytesRead { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    private int Count(int read)
    {
        BytesRead += read;
        if (BytesRead > limit)
        {
            throw exceeded(BytesRead);
        }

        return read;
    }
}
