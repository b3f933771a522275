using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.Dynamic;

/// <summary>How far one mount's pull has come, for <c>GET /mounts</c>.</summary>
internal sealed class DynamicMountProgress : IPullObserver
{
    private long _total = -1;
    private long _done;

    public long? BytesTotal => Interlocked.Read(ref _total) is var total and >= 0 ? total : null;

    public long BytesDone => Interlocked.Read(ref _done);

    public void Started(string reference, string manifestDigest, long totalBytes) => Interlocked.Exchange(ref _total, totalBytes);

    public void Progress(long bytesDone) => Interlocked.Exchange(ref _done, bytesDone);

    public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache)
    {
        if (Interlocked.Read(ref _total) >= 0)
        {
            Interlocked.Exchange(ref _done, Interlocked.Read(ref _total));
        }
    }

    public void Failed(string reason)
    {
    }
}
