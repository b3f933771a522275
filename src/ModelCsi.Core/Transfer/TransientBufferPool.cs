using System.Buffers;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// The ring buffers' default pool: it keeps nothing. <see cref="ArrayPool{T}.Shared"/> would keep every
/// multi-MiB ring buffer of the busiest moment cached per core for the life of the process, so a node
/// daemon that pulled four layers at once once would hold tens of MiB it only needs during pulls. A ring
/// lives as long as a layer download, so allocating it per download costs nothing measurable, and the GC
/// returns the memory once pulls are done.
/// </summary>
public sealed class TransientBufferPool : ArrayPool<byte>
{
    public static TransientBufferPool Instance { get; } = new();

    private TransientBufferPool()
    {
    }

    public override byte[] Rent(int minimumLength) =>
        minimumLength == 0 ? [] : GC.AllocateUninitializedArray<byte>(minimumLength);

    public override void Return(byte[] array, bool clearArray = false)
    {
        // Nothing is kept: the array is the GC's again once its ring lets go of it.
        ArgumentNullException.ThrowIfNull(array);
    }
}
