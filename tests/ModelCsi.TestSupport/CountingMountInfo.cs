using ModelCsi.Core.Mounting;

namespace ModelCsi.TestSupport;

/// <summary>The real /proc/self/mountinfo, counting its reads: tests prove which operations read the whole mount table.</summary>
public sealed class CountingMountInfo : IMountInfoSource
{
    private readonly ProcMountInfo _inner = new();
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    public string Read()
    {
        Interlocked.Increment(ref _reads);
        return _inner.Read();
    }
}
