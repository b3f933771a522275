namespace ModelCsi.Core.Transfer;

/// <summary>
/// Thread-safe running totals of bytes taken from the network and bytes found already saved by an
/// earlier attempt; one tally may be shared by the layers of a pull. <paramref name="onDownloaded"/>
/// is told each increment (once per filled buffer, not per socket read), for progress reporting.
/// </summary>
public sealed class ByteCountingTally(Action<long>? onDownloaded = null, Action<long>? onResumed = null)
{
    private long _downloaded;
    private long _resumed;

    public long BytesDownloaded => Interlocked.Read(ref _downloaded);

    public long BytesResumed => Interlocked.Read(ref _resumed);

    public void AddDownloaded(long count)
    {
        Interlocked.Add(ref _downloaded, count);
        onDownloaded?.Invoke(count);
    }

    public void AddResumed(long count)
    {
        Interlocked.Add(ref _resumed, count);
        onResumed?.Invoke(count);
    }
}
