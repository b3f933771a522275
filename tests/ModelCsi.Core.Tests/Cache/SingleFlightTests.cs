using ModelCsi.Core.Cache;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

public sealed class SingleFlightTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Callers_that_arrive_while_an_operation_runs_join_it_instead_of_starting_another()
    {
        var flight = new SingleFlight<string, int>(CancellationToken.None);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        var callers = Enumerable.Range(0, 20).Select(_ => flight.RunAsync("model", async _ =>
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return 42;
        })).ToList();
        release.SetResult();
        var results = await Task.WhenAll(callers).WaitAsync(Patience);

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal(42, r));
        Assert.Equal(0, flight.RunningCount);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_operation_and_a_retry_joins_it()
    {
        var flight = new SingleFlight<string, int>(CancellationToken.None);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Func<CancellationToken, Task<int>> pull = async token =>
        {
            Interlocked.Increment(ref runs);
            await release.Task.WaitAsync(token);
            return 7;
        };
        using var kubeletDeadline = new CancellationTokenSource();

        var first = flight.RunAsync("model", pull, kubeletDeadline.Token);
        kubeletDeadline.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Patience));
        Assert.True(flight.IsRunning("model"));

        var retry = flight.RunAsync("model", pull);
        release.SetResult();

        Assert.Equal(7, await retry.WaitAsync(Patience));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_failed_operation_is_not_remembered_and_the_next_caller_tries_again()
    {
        var flight = new SingleFlight<string, int>(CancellationToken.None);
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => flight.RunAsync("model", _ =>
        {
            attempts++;
            throw new InvalidOperationException("registry down");
        }).WaitAsync(Patience));
        var second = await flight.RunAsync("model", _ =>
        {
            attempts++;
            return Task.FromResult(1);
        }).WaitAsync(Patience);

        Assert.Equal(1, second);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task The_lifetime_token_stops_running_operations_at_shutdown()
    {
        using var lifetime = new CancellationTokenSource();
        var flight = new SingleFlight<string, int>(lifetime.Token);

        var running = flight.RunAsync("model", async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return 0;
        });
        lifetime.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
    }
}
