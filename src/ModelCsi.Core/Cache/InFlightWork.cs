namespace ModelCsi.Core.Cache;

/// <summary>
/// Counts layer downloads still running. A layer's download runs under the pipeline's lifetime, not its
/// caller's (a pull that fails or gives up stops waiting for it), so whoever removes the store's
/// directories after stopping the pipeline (the CLI's staging store) first waits here for them to end.
/// </summary>
internal sealed class InFlightWork
{
    private readonly Lock _lock = new();
    private int _running;
    private TaskCompletionSource? _idle;

    public void Enter()
    {
        lock (_lock)
        {
            _running++;
        }
    }

    public void Leave()
    {
        TaskCompletionSource? idle = null;
        lock (_lock)
        {
            if (--_running == 0)
            {
                (idle, _idle) = (_idle, null);
            }
        }

        idle?.TrySetResult();
    }

    /// <summary>Completes when nothing is running (at once when nothing is).</summary>
    public Task WhenIdleAsync()
    {
        lock (_lock)
        {
            if (_running == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }
}
