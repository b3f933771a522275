namespace ModelCsi.TestSupport;

/// <summary>
/// Tracks the most live managed memory above a baseline while an operation streams a large blob. Each
/// sample first runs a full, blocking, compacting collection, so garbage (ours or other tests') is not
/// counted, only what is still referenced: an operation that buffered the whole blob shows up, one that
/// streams through small buffers does not, however much it allocates and drops.
/// </summary>
public sealed class LiveHeapWatch : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _periodic;
    private long _peak;

    private LiveHeapWatch(TimeSpan? period)
    {
        Baseline = Measure();
        _periodic = period is { } every ? Task.Run(() => SampleEveryAsync(every)) : Task.CompletedTask;
    }

    /// <summary>Live bytes when the watch started.</summary>
    public long Baseline { get; }

    /// <summary>The most live bytes above <see cref="Baseline"/> seen by any sample so far.</summary>
    public long PeakAboveBaseline
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>A watch sampled by the caller (<see cref="Sample"/>), e.g. every so many bytes streamed.</summary>
    public static LiveHeapWatch Start() => new(null);

    /// <summary>A watch that also samples on its own every <paramref name="period"/> until disposed.</summary>
    public static LiveHeapWatch StartSampling(TimeSpan period) => new(period);

    /// <summary>Live managed bytes now: after a full compacting collection and the finalizers it queued.</summary>
    public static long Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    public void Sample()
    {
        var above = Measure() - Baseline;
        lock (_lock)
        {
            _peak = Math.Max(_peak, above);
        }
    }

    private async Task SampleEveryAsync(TimeSpan period)
    {
        while (!_stop.IsCancellationRequested)
        {
            Sample();
            try
            {
                await Task.Delay(period, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _periodic;
        _stop.Dispose();
    }
}
