using ModelCsi.Core.State;
using Xunit;

namespace ModelCsi.Core.Tests.State;

public sealed class VolumeOperationLocksTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_second_operation_on_the_same_volume_and_target_is_refused_while_the_first_holds_it()
    {
        var locks = new VolumeOperationLocks();
        using var first = await locks.TryAcquireAsync("vol", "/t", TimeSpan.Zero).WaitAsync(Patience);

        var second = await locks.TryAcquireAsync("vol", "/t", TimeSpan.FromMilliseconds(50)).WaitAsync(Patience);

        Assert.NotNull(first);
        Assert.Null(second);
    }

    [Fact]
    public async Task Different_targets_do_not_block_each_other()
    {
        var locks = new VolumeOperationLocks();
        using var first = await locks.TryAcquireAsync("vol", "/a", TimeSpan.Zero).WaitAsync(Patience);

        using var second = await locks.TryAcquireAsync("vol", "/b", TimeSpan.Zero).WaitAsync(Patience);

        Assert.NotNull(second);
    }

    [Fact]
    public async Task A_waiting_operation_gets_the_lock_when_the_holder_releases_it()
    {
        var locks = new VolumeOperationLocks();
        var first = await locks.TryAcquireAsync("vol", "/t", TimeSpan.Zero).WaitAsync(Patience);
        var waiting = locks.TryAcquireAsync("vol", "/t", Patience);

        first!.Dispose();
        using var second = await waiting.WaitAsync(Patience);

        Assert.NotNull(second);
    }

    [Fact]
    public async Task Released_keys_are_forgotten()
    {
        var locks = new VolumeOperationLocks();
        var held = await locks.TryAcquireAsync("vol", "/t", TimeSpan.Zero).WaitAsync(Patience);
        _ = await locks.TryAcquireAsync("vol", "/t", TimeSpan.Zero).WaitAsync(Patience);

        held!.Dispose();
        held.Dispose();

        Assert.Equal(0, locks.ActiveKeys);
    }
}
