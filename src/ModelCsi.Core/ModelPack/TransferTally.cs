using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>Thread-safe counters behind <see cref="TransferProgress"/> reports for layers moved in parallel.</summary>
internal sealed class TransferTally(long totalBytes, int layerCount, IProgress<TransferProgress>? progress)
{
    private long _bytes;
    private int _layers;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Start() => progress?.Report(new TransferProgress(0, totalBytes, 0, layerCount));

    public void AddBytes(long count)
    {
        var bytes = Interlocked.Add(ref _bytes, count);
        progress?.Report(new TransferProgress(bytes, totalBytes, Volatile.Read(ref _layers), layerCount));
    }

    /// <summary>Marks a layer done; <paramref name="uncountedBytes"/> are its bytes not yet reported (a skipped upload).</summary>
    public void CompleteLayer(OciDescriptor layer, long uncountedBytes = 0)
    {
        var bytes = uncountedBytes == 0 ? Interlocked.Read(ref _bytes) : Interlocked.Add(ref _bytes, uncountedBytes);
        var layers = Interlocked.Increment(ref _layers);
        progress?.Report(new TransferProgress(bytes, totalBytes, layers, layerCount, layer));
    }
}
