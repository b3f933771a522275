using System.Buffers;
using System.Threading.Channels;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// A fixed set of pooled buffers passed around the pipeline: the reader waits (asynchronously, no
/// spinning) for a free one, fills it, and it comes back when every stage released it. Memory per
/// download is the ring and nothing else, however large the blob.
/// </summary>
internal sealed class BufferRing : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private readonly byte[][] _buffers;
    private readonly Channel<byte[]> _free;

    public BufferRing(int count, int size, ArrayPool<byte> pool)
    {
        _pool = pool;
        _free = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(count) { SingleReader = true });
        _buffers = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            _buffers[i] = pool.Rent(size);
            _free.Writer.TryWrite(_buffers[i]);
        }

        BufferSize = size;
    }

    public int BufferSize { get; }

    public ValueTask<byte[]> RentAsync(CancellationToken cancellationToken) => _free.Reader.ReadAsync(cancellationToken);

    public void Return(byte[] buffer) => _free.Writer.TryWrite(buffer);

    /// <summary>Called once every stage has stopped: hands all buffers back to the pool.</summary>
    public void Dispose()
    {
        foreach (var buffer in _buffers)
        {
            _pool.Return(buffer);
        }
    }
}
