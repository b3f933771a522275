using System.Collections.Concurrent;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Runs at most one operation per key at a time; callers that arrive while it runs join it.
/// The operation runs under the token given at construction (the process lifetime), not the
/// caller's: a kubelet call that times out stops waiting but the pull goes on, and its retry joins it.
/// </summary>
public sealed class SingleFlight<TKey, TResult>(CancellationToken lifetime)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TResult>>> _running = new();

    /// <summary>How many operations are running now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>True when an operation for the key is running.</summary>
    public bool IsRunning(TKey key) => _running.ContainsKey(key);

    public Task<TResult> RunAsync(TKey key, Func<CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken = default)
    {
        var lazy = _running.GetOrAdd(key, k => new Lazy<Task<TResult>>(() => StartAsync(k, operation)));
        return lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<TResult> StartAsync(TKey key, Func<CancellationToken, Task<TResult>> operation)
    {
        try
        {
            // Yield so the operation never runs inline inside GetOrAdd's factory.
            await Task.Yield();
            return await operation(lifetime);
        }
        finally
        {
            _running.TryRemove(key, out _);
        }
    }
}
