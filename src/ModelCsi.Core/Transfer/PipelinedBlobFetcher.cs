using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// Fetches one blob as a pipeline: a network reader fills a small ring of large buffers while the
/// hasher and the writer (a file) or a consumer (the tar unpacker) work on the buffers already
/// filled, so the slowest stage alone sets the pace. The file form resumes from what an earlier
/// attempt saved, starts writeback as it goes and reports completion only after size and digest
/// matched and fdatasync returned. Nothing waits by spinning: stages meet on channels.
/// </summary>
public sealed class PipelinedBlobFetcher
{
    private readonly LayerFetchOptions _options;
    private readonly IFileSync _fileSync;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArrayPool<byte> _pool;

    /// <param name="bufferPool">Where ring buffers are rented (tests count them); by default they are allocated per download and not kept.</param>
    public PipelinedBlobFetcher(LayerFetchOptions options, IFileSync? fileSync = null, TimeProvider? timeProvider = null,
        ILogger? logger = null, ArrayPool<byte>? bufferPool = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _fileSync = fileSync ?? LibcFileSync.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<PipelinedBlobFetcher>.Instance;
        _pool = bufferPool ?? TransientBufferPool.Instance;
    }

    /// <summary>
    /// Brings <paramref name="partialPath"/> to the complete, verified, synced blob. Bytes already in
    /// the file are taken as a prefix saved by an earlier attempt: re-hashed (overlapping the
    /// download) and continued from with a Range request. On a digest or size mismatch the file is
    /// truncated to nothing; when a saved prefix was used, the blob is fetched once more from byte 0
    /// before the mismatch is thrown. On any other failure the file keeps what was written, for a resume.
    /// The caller renames the file into place and syncs the directory.
    /// </summary>
    public async Task<LayerFetchResult> FetchToFileAsync(BlobSource source, OciDescriptor blob, string partialPath,
        ByteCountingTally? tally = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(partialPath);
        return await RunAsync(source, blob, () => FetchToFileOnceOrTwiceAsync(source, blob, partialPath, tally, cancellationToken));
    }

    /// <summary>Checks the arguments every fetch takes and disposes a body opened ahead on the way out.</summary>
    private static async Task<LayerFetchResult> RunAsync(BlobSource source, OciDescriptor blob, Func<Task<LayerFetchResult>> fetch)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckDescriptor(blob);
        try
        {
            return await fetch();
        }
        finally
        {
            // Used and disposed by the reader in the normal course; this covers failures before it started.
            if (source.Opened is { } opened)
            {
                await opened.DisposeAsync();
            }
        }
    }

    private async Task<LayerFetchResult> FetchToFileOnceOrTwiceAsync(BlobSource source, OciDescriptor blob, string partialPath,
        ByteCountingTally? tally, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var resuming = RandomAccess.GetLength(file) > 0;
        try
        {
            return await FetchIntoFileAsync(source, blob, file, tally, cancellationToken);
        }
        catch (DigestMismatchException) when (resuming)
        {
            // The saved prefix may be what was wrong (a torn write before a power loss): one clean try from byte 0.
            RandomAccess.SetLength(file, 0);
            Log.RestartingAfterBadPrefix(_logger, blob.Digest);
        }
        catch (DigestMismatchException)
        {
            RandomAccess.SetLength(file, 0);
            throw;
        }

        try
        {
            return await FetchIntoFileAsync(new BlobSource(source.OpenAt), blob, file, tally, cancellationToken);
        }
        catch (DigestMismatchException)
        {
            RandomAccess.SetLength(file, 0);
            throw;
        }
    }

    /// <summary>
    /// Streams the blob through <paramref name="consume"/> (the unpacker) while it is hashed on the side.
    /// The consumer's stream reports its end only after size and digest matched (else it throws
    /// <see cref="DigestMismatchException"/>); bytes the consumer leaves unread are still hashed. A
    /// dropped connection is continued with a Range request without the consumer noticing. The
    /// consumer owns the durability of what it writes.
    /// </summary>
    public async Task<LayerFetchResult> FetchToConsumerAsync(BlobSource source, OciDescriptor blob, Func<Stream, CancellationToken, Task> consume,
        ByteCountingTally? tally = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consume);
        return await RunAsync(source, blob, () => ConsumeWhileHashingAsync(source, blob, consume, tally, cancellationToken));
    }

    private async Task<LayerFetchResult> ConsumeWhileHashingAsync(BlobSource source, OciDescriptor blob, Func<Stream, CancellationToken, Task> consume,
        ByteCountingTally? tally, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var ring = new BufferRing(_options.BufferCount, _options.BufferSize, _pool);
        using var watchdog = new TransferWatchdog(_options, _time, $"download of blob {blob.Digest}", cancellationToken);
        using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(watchdog.Token);
        var failure = new FirstFailure(pipeline);
        var toHasher = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var toConsumer = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reader = new NetworkReader(source, blob, ring, watchdog, tally, _options.MaxReconnects, _logger);

        var reading = failure.Watch(reader.RunAsync(0, [toHasher.Writer, toConsumer.Writer], pipeline.Token));
        var hashing = failure.Watch(HashAsync(toHasher.Reader, hash, pipeline.Token));
        var verified = failure.Watch(VerifyAsync(reading, hashing, hash, blob));
        var stream = new RingReadStream(toConsumer.Reader, verified, blob.Size);
        var consuming = failure.Watch(ConsumeAsync(consume, stream, verified, pipeline.Token));

        await failure.WhenAllAsync([reading, hashing, verified, consuming], watchdog, cancellationToken);
        return new LayerFetchResult(blob.Digest, blob.Size, reader.BytesDownloaded, 0, reader.Reconnects);
    }

    /// <summary>
    /// <see cref="FetchToConsumerAsync"/> that can start in the middle of the blob and lets the consumer ask, at
    /// any point, where a later fetch could continue from (<see cref="RingReadStream.ResumePointAsync"/>): the
    /// plain tar unpacker checkpoints with it. From <paramref name="from"/>, only the bytes after its offset are
    /// requested (Range) and hashed, continuing its SHA-256 state; the end of the stream is still reported only
    /// after the whole blob's size and digest matched. Hashing uses <see cref="Sha256Context"/> (OpenSSL, whose
    /// state can be saved) instead of <see cref="IncrementalHash"/> (whose state cannot).
    /// </summary>
    internal async Task<LayerFetchResult> FetchToResumableConsumerAsync(BlobSource source, OciDescriptor blob, BlobResumePoint? from,
        Func<RingReadStream, CancellationToken, Task> consume, ByteCountingTally? tally = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consume);
        var start = from?.Offset ?? 0;
        var hash = from is null ? new Sha256Context() : Sha256Context.TryRestore(from.HashState);
        if (hash is null || start < 0 || start > blob.Size || hash.BytesHashed != start)
        {
            throw new ArgumentException($"resume point at {start} does not fit blob {blob.Digest}", nameof(from));
        }

        return await RunAsync(source, blob, async () =>
        {
            if (start > 0)
            {
                Log.Resuming(_logger, blob.Digest, start);
                tally?.AddResumed(start);
            }

            using var ring = new BufferRing(_options.BufferCount, _options.BufferSize, _pool);
            using var watchdog = new TransferWatchdog(_options, _time, $"download of blob {blob.Digest}", cancellationToken);
            using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(watchdog.Token);
            var failure = new FirstFailure(pipeline);
            var toHasher = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var toConsumer = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var reader = new NetworkReader(source, blob, ring, watchdog, tally, _options.MaxReconnects, _logger);
            var startState = hash.Snapshot();

            var reading = failure.Watch(reader.RunAsync(start, [toHasher.Writer, toConsumer.Writer], pipeline.Token));
            var hashing = failure.Watch(HashSavingStatesAsync(toHasher.Reader, hash, pipeline.Token));
            var verified = failure.Watch(VerifySavedAsync(reading, hashing, hash, blob, () => start + reader.BytesDownloaded));
            var stream = new RingReadStream(toConsumer.Reader, verified, blob.Size, start, startState);
            var consuming = failure.Watch(ConsumeAsync((s, token) => consume((RingReadStream)s, token), stream, verified, pipeline.Token));

            await failure.WhenAllAsync([reading, hashing, verified, consuming], watchdog, cancellationToken);
            return new LayerFetchResult(blob.Digest, blob.Size, reader.BytesDownloaded, start, reader.Reconnects);
        });
    }

    private static async Task HashSavingStatesAsync(ChannelReader<Chunk> chunks, Sha256Context hash, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            hash.Append(chunk.Span);
            chunk.StateAfter.TrySetResult(hash.Snapshot());
            chunk.Release();
        }
    }

    private static async Task VerifySavedAsync(Task reading, Task hashing, Sha256Context hash, OciDescriptor blob, Func<long> size)
    {
        await reading;
        await hashing;
        var actual = hash.Digest();
        if (size() != blob.Size || !string.Equals(actual, blob.Digest, StringComparison.Ordinal))
        {
            throw new DigestMismatchException(blob.Digest, blob.Size, actual, size(), $"blob {blob.Digest}");
        }
    }

    private async Task<LayerFetchResult> FetchIntoFileAsync(BlobSource source, OciDescriptor blob, SafeFileHandle file,
        ByteCountingTally? tally, CancellationToken cancellationToken)
    {
        // A file longer than the blob cannot be a prefix of it; what is past the size is dropped and the digest decides.
        var saved = Math.Min(RandomAccess.GetLength(file), blob.Size);
        RandomAccess.SetLength(file, saved);
        if (saved > 0)
        {
            Log.Resuming(_logger, blob.Digest, saved);
            tally?.AddResumed(saved);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var ring = new BufferRing(_options.BufferCount, _options.BufferSize, _pool);
        using var watchdog = new TransferWatchdog(_options, _time, $"download of blob {blob.Digest}", cancellationToken);
        using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(watchdog.Token);
        var failure = new FirstFailure(pipeline);
        var toHasher = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var toWriter = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reader = new NetworkReader(source, blob, ring, watchdog, tally, _options.MaxReconnects, _logger);

        var reading = failure.Watch(reader.RunAsync(saved, [toHasher.Writer, toWriter.Writer], pipeline.Token));
        var hashing = failure.Watch(HashPrefixThenAsync(file, saved, toHasher.Reader, hash, pipeline.Token));
        var writing = failure.Watch(WriteAsync(toWriter.Reader, file, saved, pipeline.Token));
        await failure.WhenAllAsync([reading, hashing, writing], watchdog, cancellationToken);

        Verify(hash, blob, saved + reader.BytesDownloaded);
        // Completion is reported only once the bytes are on disk: the caller records the blob as present next.
        _fileSync.DataSync(file);
        return new LayerFetchResult(blob.Digest, blob.Size, reader.BytesDownloaded, saved, reader.Reconnects);
    }

    private async Task HashPrefixThenAsync(SafeFileHandle file, long saved, ChannelReader<Chunk> chunks, IncrementalHash hash, CancellationToken cancellationToken)
    {
        if (saved > 0)
        {
            // Its own buffer, not one of the ring's: the reader may hold all of those, waiting for this stage.
            var buffer = _pool.Rent(_options.BufferSize);
            try
            {
                for (long offset = 0; offset < saved;)
                {
                    var want = (int)Math.Min(buffer.Length, saved - offset);
                    var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, want), offset, cancellationToken);
                    if (read == 0)
                    {
                        throw new IOException($"the partial file ended at {offset} bytes while re-hashing {saved}");
                    }

                    hash.AppendData(buffer, 0, read);
                    offset += read;
                }
            }
            finally
            {
                _pool.Return(buffer);
            }
        }

        await HashAsync(chunks, hash, cancellationToken);
    }

    private static async Task HashAsync(ChannelReader<Chunk> chunks, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            hash.AppendData(chunk.Span);
            chunk.Release();
        }
    }

    private async Task WriteAsync(ChannelReader<Chunk> chunks, SafeFileHandle file, long start, CancellationToken cancellationToken)
    {
        // Positions are tracked here, never asked of the file: pwrite at a known offset, no seek, no fstat.
        var writebackFrom = start;
        await foreach (var chunk in chunks.ReadAllAsync(cancellationToken))
        {
            var end = chunk.Offset + chunk.Length;
            try
            {
                await RandomAccess.WriteAsync(file, chunk.Memory, chunk.Offset, cancellationToken);
            }
            finally
            {
                chunk.Release();
            }

            if (end - writebackFrom >= _options.WritebackInterval)
            {
                _fileSync.StartWriteback(file, writebackFrom, end - writebackFrom);
                writebackFrom = end;
            }
        }
    }

    private static async Task VerifyAsync(Task reading, Task hashing, IncrementalHash hash, OciDescriptor blob)
    {
        await reading;
        await hashing;
        Verify(hash, blob, blob.Size);
    }

    private static async Task ConsumeAsync(Func<Stream, CancellationToken, Task> consume, RingReadStream stream, Task verified, CancellationToken cancellationToken)
    {
        await consume(stream, cancellationToken);
        await stream.DrainAsync(cancellationToken);
        await verified;
    }

    private static void Verify(IncrementalHash hash, OciDescriptor blob, long size)
    {
        var actual = Digest.FromHash(hash.GetHashAndReset());
        if (size != blob.Size || !string.Equals(actual, blob.Digest, StringComparison.Ordinal))
        {
            throw new DigestMismatchException(blob.Digest, blob.Size, actual, size, $"blob {blob.Digest}");
        }
    }

    private static void CheckDescriptor(OciDescriptor blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new ArgumentException($"blob digest '{blob.Digest}' is not a sha256 digest", nameof(blob));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(blob.Size);
    }

    /// <summary>
    /// Remembers the first stage that failed for a reason of its own and stops the others, so the error
    /// reported is the cause (a digest mismatch, the consumer's error, a stall), not a sibling's cancellation.
    /// </summary>
    private sealed class FirstFailure(CancellationTokenSource pipeline)
    {
        private Exception? _first;

        public async Task Watch(Task stage)
        {
            try
            {
                await stage;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref _first, e, null);
                await pipeline.CancelAsync();
                throw;
            }
        }

        public async Task WhenAllAsync(Task[] stages, TransferWatchdog watchdog, CancellationToken cancellationToken)
        {
            try
            {
                await Task.WhenAll(stages);
            }
            catch (Exception) when (watchdog.StallException() is { } stalled && !cancellationToken.IsCancellationRequested)
            {
                throw stalled;
            }
            catch (Exception) when (Volatile.Read(ref _first) is { } first)
            {
                ExceptionDispatchInfo.Throw(first);
            }
        }
    }
}
