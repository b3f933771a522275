using ModelCsi.Core.IO;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

[Collection(MemoryBoundCollection.Name)]
public sealed class LargeBlobTests(RegistryFixture fixture) : IDisposable
{
    private const long OneGiB = 1L << 30;

    // A client that buffered the blob would keep a gigabyte alive; streaming keeps a few buffers.
    private const long LiveMemoryBound = 256L * 1024 * 1024;

    // Each sample is a full compacting collection: a few per direction are enough to catch a buffered gigabyte.
    private const long SampleEvery = 64L * 1024 * 1024;

    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    [Fact]
    public async Task A_one_GiB_blob_is_pushed_and_pulled_streamed_without_holding_it_in_memory()
    {
        // Generated twice (to hash, then to upload) so the test itself never holds the blob either.
        var digest = Digest.FromHash(await System.Security.Cryptography.SHA256.HashDataAsync(new PatternStream(OneGiB)));
        var blob = new OciDescriptor { MediaType = OciTestContent.LayerMediaType, Digest = digest, Size = OneGiB };
        var repository = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{OciTestContent.UniqueRepository("large")}"));
        await using var watch = LiveHeapWatch.Start();
        var upload = new SamplingReader(new PatternStream(OneGiB), watch);

        Assert.True(await repository.PushBlobAsync(blob, upload));
        var download = new SamplingSink(watch);
        await repository.FetchBlobAsync(blob, download);

        Assert.Equal(OneGiB, upload.BytesRead);
        Assert.Equal(OneGiB, download.BytesWritten);
        Assert.True(watch.PeakAboveBaseline < LiveMemoryBound, $"live managed memory rose by {watch.PeakAboveBaseline >> 20} MiB while streaming");
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Reads another stream, sampling the live heap every <see cref="SampleEvery"/> bytes.</summary>
    private sealed class SamplingReader(Stream inner, LiveHeapWatch watch) : ReadOnlyStreamBase
    {
        private long _nextSample = SampleEvery;

        public long BytesRead { get; private set; }

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        private int Count(int n)
        {
            BytesRead += n;
            if (BytesRead >= _nextSample)
            {
                watch.Sample();
                _nextSample += SampleEvery;
            }

            return n;
        }
    }

    /// <summary>Discards what it is given, sampling the live heap every <see cref="SampleEvery"/> bytes.</summary>
    private sealed class SamplingSink(LiveHeapWatch watch) : Stream
    {
        private long _nextSample = SampleEvery;

        public long BytesWritten { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => BytesWritten;

        public override long Position
        {
            get => BytesWritten;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            BytesWritten += buffer.Length;
            if (BytesWritten >= _nextSample)
            {
                watch.Sample();
                _nextSample += SampleEvery;
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
