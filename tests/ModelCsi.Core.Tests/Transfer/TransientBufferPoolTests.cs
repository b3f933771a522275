using ModelCsi.Core.Transfer;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

/// <summary>
/// Ring buffers are multi-MiB: a pool that cached them would keep a node daemon's memory at its busiest
/// pull forever. The default pool hands out fresh arrays and keeps nothing returned to it.
/// </summary>
public sealed class TransientBufferPoolTests
{
    [Fact]
    public void A_returned_buffer_is_never_handed_out_again()
    {
        var pool = TransientBufferPool.Instance;
        var first = pool.Rent(2 << 20);
        pool.Return(first);
        var second = pool.Rent(2 << 20);

        Assert.NotSame(first, second);
        Assert.Equal(2 << 20, second.Length);
    }

    [Fact]
    public void A_rent_gets_exactly_the_size_asked_for()
    {
        // The shared pool rounds up to a power of two: a 3 MiB ring buffer would hold 4 MiB.
        Assert.Equal(3 << 20, TransientBufferPool.Instance.Rent(3 << 20).Length);
        Assert.Empty(TransientBufferPool.Instance.Rent(0));
    }
}
