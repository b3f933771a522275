using System.Buffers;

namespace ModelCsi.Core.Tests.Transfer;

/// <summary>An array pool that counts the bytes rented and not yet returned, and the most ever outstanding.</summary>
internal sealed class CountingArrayPool : ArrayPool<byte>
{
    private long _outstanding;
    private long _peak;

    public long Outstanding => Interlocked.Read(ref _outstanding);

    public long Peak => Interlocked.Read(ref _peak);

    public override byte[] Rent(int minimumLength)
    {
        var now = Interlocked.Add(ref _outstanding, minimumLength);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }

        return new byte[minimumLength];
    }

    public override void Return(byte[] array, bool clearArray = false) => Interlocked.Add(ref _outstanding, -array.Length);
}
