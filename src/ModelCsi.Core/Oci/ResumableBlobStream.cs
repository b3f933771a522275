using Microsoft.Extensions.Logging;
using ModelCsi.Core.IO;

namespace ModelCsi.Core.Oci;

/// <summary>
/// A blob's bytes from an offset to its declared size. When the connection drops or stalls mid-body it
/// reopens the blob at the current position (a Range request) up to a bounded number of times; it
/// never yields more than the descriptor's size and fails if the server sends more. A body that trickles
/// (fewer than <see cref="RegistryClientOptions.MinBlobBytesPerSecond"/> over a stall timeout) counts as
/// stalled, so a hostile or broken server cannot hold a pull open for ever one byte at a time.
/// </summary>
internal sealed class ResumableBlobStream : ReadOnlyStreamBase
{
    private readonly OciDescriptor _blob;
    private readonly Func<OciDescriptor, long, CancellationToken, Task<Stream>> _open;
    private readonly RegistryClient _registry;
    private readonly string _what;
    private Stream? _body;
    private long _position;
    private int _resumes;
    private long _windowStart;
    private long _windowBytes;

    public ResumableBlobStream(OciDescriptor blob, long offset, Stream? first, Func<OciDescriptor, long, CancellationToken, Task<Stream>> open,
        RegistryClient registry, string what)
    {
        _blob = blob;
        _position = offset;
        _body = first;
        _open = open;
        _registry = registry;
        _what = what;
        _windowStart = registry.TimeProvider.GetTimestamp();
    }

    /// <summary>How many times the download was resumed after an interruption.</summary>
    public int Resumes => _resumes;

    public override long Length => _blob.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    // Sync reads are for callers that cannot await; the download itself is asynchronous.
    public override int Read(Span<byte> buffer)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        var options = _registry.Options;
        while (true)
        {
            if (_position == _blob.Size)
            {
                await EnsureNothingMoreAsync(cancellationToken);
                return 0;
            }

            try
            {
                if (_body is null)
                {
                    _body = await _open(_blob, _position, cancellationToken);
                    _windowStart = _registry.TimeProvider.GetTimestamp();
                    _windowBytes = 0;
                }

                EnsureMinimumRate(options);
                var want = (int)Math.Min(buffer.Length, _blob.Size - _position);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                stall.CancelAfter(options.BlobReadStallTimeout);
                var n = await _body.ReadAsync(buffer[..want], stall.Token);
                if (n == 0)
                {
                    throw new EndOfStreamException($"the response ended at byte {_position} of {_blob.Size}");
                }

                _position += n;
                _windowBytes += n;
                return n;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                      && e is (IOException and not DigestMismatchException) or HttpRequestException or OperationCanceledException)
            {
                await DropBodyAsync();
                _resumes++;
                var reason = e is OperationCanceledException ? "stalled" : e.Message;
                if (_resumes > options.MaxBlobResumes)
                {
                    throw new RegistryUnavailableException(
                        $"{_what}: download interrupted {_resumes} times; gave up at byte {_position} of {_blob.Size} ({reason})", innerException: e);
                }

                Log.ResumingBlob(_registry.Logger, _blob.Digest, _position, _blob.Size, reason, _resumes, options.MaxBlobResumes);
                if (_resumes > 1)
                {
                    await Task.Delay(_registry.Backoff(_resumes - 2), _registry.TimeProvider, cancellationToken);
                }
            }
        }
    }

    /// <summary>Throws (an <see cref="IOException"/>, so the download resumes) when the last window was too slow; starts the next window.</summary>
    private void EnsureMinimumRate(RegistryClientOptions options)
    {
        var elapsed = _registry.TimeProvider.GetElapsedTime(_windowStart);
        if (elapsed < options.BlobReadStallTimeout)
        {
            return;
        }

        var bytes = _windowBytes;
        _windowStart = _registry.TimeProvider.GetTimestamp();
        _windowBytes = 0;
        if (options.MinBlobBytesPerSecond > 0 && bytes < options.MinBlobBytesPerSecond * elapsed.TotalSeconds)
        {
            throw new IOException($"only {bytes} bytes in {elapsed.TotalSeconds:0.#} s, slower than the minimum of {options.MinBlobBytesPerSecond} bytes/s");
        }
    }

    private async Task EnsureNothingMoreAsync(CancellationToken cancellationToken)
    {
        if (_body is null)
        {
            return;
        }

        var probe = new byte[1];
        int extra;
        try
        {
            extra = await _body.ReadAsync(probe, cancellationToken);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // Every byte we need has arrived; a connection torn down after them does not matter.
            extra = 0;
        }

        await DropBodyAsync();
        if (extra > 0)
        {
            throw new DigestMismatchException(_blob.Digest, _blob.Size, "(not computed)", _blob.Size + extra,
                $"{_what}: the registry sent more bytes than the descriptor's size");
        }
    }

    private async ValueTask DropBodyAsync()
    {
        if (_body is not null)
        {
            await _body.DisposeAsync();
            _body = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body?.Dispose();
            _body = null;
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await DropBodyAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
