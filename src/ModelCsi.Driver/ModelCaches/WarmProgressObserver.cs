using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>Hands the pull's downloaded bytes to a ModelCache's progress report.</summary>
internal sealed class WarmProgressObserver(IProgress<long> progress) : IPullObserver
{
    public void Started(string reference, string manifestDigest, long totalBytes) => progress.Report(0);

    public void Progress(long bytesDone) => progress.Report(bytesDone);

    public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache) => progress.Report(bytesDownloaded);

    public void Failed(string reason)
    {
    }
}
