namespace ModelCsi.Core.Cache;

/// <summary>Bytes one pull took from the network and from partial files of earlier attempts.</summary>
internal sealed class PullTotals
{
    private long _downloaded;
    private long _resumed;

    public long Downloaded => Interlocked.Read(ref _downloaded);

    public long Resumed => Interlocked.Read(ref _resumed);

    public void Add(long downloaded, long resumed)
    {
        Interlocked.Add(ref _downloaded, downloaded);
        Interlocked.Add(ref _resumed, resumed);
    }
}
