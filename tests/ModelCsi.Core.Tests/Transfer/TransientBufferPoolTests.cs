using ModelCsi.Core.Transfer;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

/// <summary>
/// Ring buffers are multi-MiB: a pool that cached them forever would keep a node daemon's memory at its
/// busiest pull. The default pool reuses them while downloads run and keeps nothing once all are back.
/// </summary>
public sealed class TransientBufferPoolTests
{
    private const int Size = 1 << 20;

    [Fact]
    public void A_buffer_returned_while_another_download_runs_is_reused()
    {
        var pool = new TransientBufferPool();
        var running = pool.Rent(Size);
        var finished = pool.Rent(Size);
        pool.Return(finished);

        Assert.Same(finished, pool.Rent(Size));
        Assert.Equal(2, pool.Outstanding);
        pool.Return(running);
    }

    [Fact]
    public void Once_every_buffer_is_back_none_is_kept()
    {
        var pool = new TransientBufferPool();
        var first = pool.Rent(Size);
        var second = pool.Rent(Size);
        pool.Return(first);
        pool.Return(second);

        Assert.Equal(0, pool.Outstanding);
        var next = pool.Rent(Size);
        Assert.NotSame(first, next);
        Assert.NotSame(second, next);
    }

    [Fact]
    public void A_rent_gets_exactly_the_size_asked_for()
    {
        // The shared pool rounds up to a power of two: a 3 MiB ring buffer would hold 4 MiB.
        var pool = new TransientBufferPool();
        Assert.Equal(3 << 20, pool.Rent(3 << 20).Length);
        Assert.Empty(pool.Rent(0));
    }
}
