using ModelCsi.Core.IO;

namespace ModelCsi.Core.Oci;

/// <summary>
/// A forward-only read view of another stream that decides what its disposal releases: nothing for a
/// caller's stream lent to <see cref="StreamContent"/> (which would otherwise dispose it after the request),
/// or the body and its <see cref="HttpResponseMessage"/> (freeing the connection) for a response body.
/// </summary>
internal sealed class ReadOnlyStreamView : ReadOnlyStreamBase
{
    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private readonly bool _ownsInner;

    private ReadOnlyStreamView(Stream inner, IDisposable? owner, bool ownsInner)
    {
        _inner = inner;
        _owner = owner;
        _ownsInner = ownsInner;
    }

    /// <summary>Reads a caller's stream without ever disposing it.</summary>
    public static ReadOnlyStreamView Borrowing(Stream inner) => new(inner, owner: null, ownsInner: false);

    /// <summary>Reads a response body; disposing the view disposes the body and the response.</summary>
    public static ReadOnlyStreamView Owning(Stream body, HttpResponseMessage response) => new(body, response, ownsInner: true);

    public override bool CanRead => _inner.CanRead;

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_ownsInner)
            {
                _inner.Dispose();
            }

            _owner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
