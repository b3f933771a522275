namespace ModelCsi.Core.Transfer;

/// <summary>
/// A filled ring buffer: the blob's bytes at <see cref="Offset"/>. Every stage it was sent to releases
/// it once; the last release returns the buffer to the ring.
/// </summary>
internal sealed class Chunk(BufferRing ring, byte[] buffer, long offset, int length, int holders)
{
    private int _holders = holders;

    public long Offset { get; } = offset;

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);

    /// <summary>
    /// Set by a resumable fetch's hasher once it hashed this chunk: the SHA-256 state at the chunk's end, from
    /// which a consumer computes the state at its own position (see <see cref="RingReadStream.ResumePointAsync"/>).
    /// </summary>
    public TaskCompletionSource<byte[]> StateAfter { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            ring.Return(buffer);
        }
    }
}
