namespace ModelCsi.Core.Transfer;

/// <summary>
/// One deadline and one rate check per download (not a timer per read): cancels <see cref="Token"/>
/// when the overall time limit passes or fewer than the minimum bytes arrived in a rate window.
/// <see cref="Reason"/> then says which, so the fetcher reports a stall rather than a cancellation.
/// </summary>
internal sealed class TransferWatchdog : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly ITimer? _rateTimer;
    private readonly long _minimumPerWindow;
    private readonly TimeSpan _window;
    private long _progress;
    private long _progressAtLastCheck;
    private string? _reason;

    public TransferWatchdog(LayerFetchOptions options, TimeProvider time, string what, CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _window = options.RateWindow;
        _minimumPerWindow = (long)(options.MinimumBytesPerSecond * options.RateWindow.TotalSeconds);
        What = what;
        if (options.Timeout is { } timeout)
        {
            OverallTimer = time.CreateTimer(_ => Trip($"{what} did not finish within {timeout}"), null, timeout, Timeout.InfiniteTimeSpan);
        }

        if (_minimumPerWindow > 0)
        {
            _rateTimer = time.CreateTimer(_ => CheckRate(), null, _window, _window);
        }
    }

    public string What { get; }

    public CancellationToken Token => _cancel.Token;

    /// <summary>Why the watchdog cancelled, or null when it did not.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    private ITimer? OverallTimer { get; }

    /// <summary>Counts bytes that moved; called by the network reader per read (a plain add, no lock).</summary>
    public void Progress(long bytes) => Interlocked.Add(ref _progress, bytes);

    /// <summary>The exception to throw for a cancellation this watchdog caused, else null.</summary>
    public Exception? StallException() => Reason is { } reason ? new TransferStalledException(reason) : null;

    private void CheckRate()
    {
        var now = Interlocked.Read(ref _progress);
        var moved = now - _progressAtLastCheck;
        _progressAtLastCheck = now;
        if (moved < _minimumPerWindow)
        {
            Trip($"{What} moved {moved} bytes in {_window.TotalSeconds:F0} s, below the minimum of {_minimumPerWindow} bytes");
        }
    }

    private void Trip(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The download finished while the timer fired.
            }
        }
    }

    public void Dispose()
    {
        OverallTimer?.Dispose();
        _rateTimer?.Dispose();
        _cancel.Dispose();
    }
}
