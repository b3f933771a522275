using System.Buffers;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// The ring buffers' default pool: it reuses buffers only while downloads run and keeps nothing once the
/// last one is returned. <see cref="ArrayPool{T}.Shared"/> would keep every multi-MiB ring buffer of the
/// busiest moment cached per core for the life of the process, so a node daemon that once pulled four layers
/// at once would hold tens of MiB it needs only during pulls; allocating afresh for every layer instead would
/// churn the large-object heap while a many-layer model is pulled and raise the peak.
/// </summary>
public sealed class TransientBufferPool : ArrayPool<byte>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Stack<byte[]>> _idle = [];
    private int _outstanding;

    public static TransientBufferPool Instance { get; } = new();

    /// <summary>Buffers handed out and not yet returned.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _outstanding;
            }
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0)
        {
            return [];
        }

        lock (_lock)
        {
            _outstanding++;
            if (_idle.TryGetValue(minimumLength, out var idle) && idle.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(minimumLength);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length == 0)
        {
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        lock (_lock)
        {
            _outstanding = Math.Max(0, _outstanding - 1);
            if (_outstanding == 0)
            {
                // The last download finished: everything goes back to the GC.
                _idle.Clear();
                return;
            }

            if (!_idle.TryGetValue(array.Length, out var idle))
            {
                idle = new Stack<byte[]>();
                _idle[array.Length] = idle;
            }

            idle.Push(array);
        }
    }
}
