using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Bytes one pull took from the network and from partial files of earlier attempts, and the progress
/// its observers hear about (every few MiB, not every read).
/// </summary>
internal sealed class PullTotals(IPullObserver? observer = null)
{
    private const long ProgressStep = 8L * 1024 * 1024;

    private long _downloaded;
    private long _expansionBudget = long.MaxValue;
    private long _resumed;
    private long _read;
    private long _nextReport = ProgressStep;

    public long Downloaded => Interlocked.Read(ref _downloaded);

    /// <summary>Bytes the pull's tar layers may still expand to; each finished layer spends what it wrote.</summary>
    public long ExpansionBudget
    {
        get => Interlocked.Read(ref _expansionBudget);
        set => Interlocked.Exchange(ref _expansionBudget, value);
    }

    public void SpendExpansion(long bytes) => Interlocked.Add(ref _expansionBudget, -bytes);

    public long Resumed => Interlocked.Read(ref _resumed);

    /// <summary>A tally for one download that adds to these totals as it goes, failed downloads included.</summary>
    public ByteCountingTally NewTally() => new(
        downloaded =>
        {
            Interlocked.Add(ref _downloaded, downloaded);
            Read(downloaded);
        },
        resumed =>
        {
            Interlocked.Add(ref _resumed, resumed);
            Read(resumed);
        });

    public void LayerCompleted(Oci.OciDescriptor layer) => observer?.LayerCompleted(layer);

    /// <summary>Counts bytes of any blob of the pull (resumed or downloaded) for progress.</summary>
    private void Read(long bytes)
    {
        var done = Interlocked.Add(ref _read, bytes);
        if (observer is not null && done >= Interlocked.Read(ref _nextReport))
        {
            Interlocked.Exchange(ref _nextReport, done + ProgressStep);
            observer.Progress(done);
        }
    }
}
