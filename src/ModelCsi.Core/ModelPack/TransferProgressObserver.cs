using ModelCsi.Core.Cache;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>Turns the pull pipeline's observer calls into the <see cref="TransferProgress"/> reports the CLI prints.</summary>
internal sealed class TransferProgressObserver(long totalBytes, int layerCount, IProgress<TransferProgress>? progress) : IPullObserver
{
    private readonly Lock _lock = new();
    private long _bytes;
    private long _completedBytes;
    private int _layers;

    /// <summary>Bytes of the layers fetched (the config and manifest are not counted, as for a push).</summary>
    public long BytesDownloaded => Interlocked.Read(ref _completedBytes);

    public void Started(string reference, string manifestDigest, long total) => progress?.Report(new TransferProgress(0, totalBytes, 0, layerCount));

    public void Progress(long bytesDone)
    {
        lock (_lock)
        {
            _bytes = Math.Max(_bytes, Math.Min(bytesDone, totalBytes));
            progress?.Report(new TransferProgress(_bytes, totalBytes, _layers, layerCount));
        }
    }

    public void LayerCompleted(OciDescriptor layer)
    {
        lock (_lock)
        {
            _layers++;
            _completedBytes += layer.Size;
            _bytes = Math.Max(_bytes, _completedBytes);
            progress?.Report(new TransferProgress(_bytes, totalBytes, _layers, layerCount, layer));
        }
    }

    public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache)
    {
    }

    public void Failed(string reason)
    {
    }
}
