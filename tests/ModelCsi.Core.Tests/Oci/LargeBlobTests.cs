using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

[Collection(MemoryBoundCollection.Name)]
public sealed class LargeBlobTests(RegistryFixture fixture) : IDisposable
{
    private const long OneGiB = 1L << 30;

    // A client that buffered the blob would hold a gigabyte; streaming needs a few buffers.
    private const long ManagedMemoryBound = 256L * 1024 * 1024;

    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    [Fact]
    public async Task A_one_GiB_blob_is_pushed_and_pulled_streamed_without_holding_it_in_memory()
    {
        // Generated twice (to hash, then to upload) so the test itself never holds the blob either.
        var digest = Digest.FromHash(await System.Security.Cryptography.SHA256.HashDataAsync(new PatternStream(OneGiB)));
        var blob = new OciDescriptor { MediaType = OciTestContent.LayerMediaType, Digest = digest, Size = OneGiB };
        var repository = _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{OciTestContent.UniqueRepository("large")}"));
        var upload = new PatternStream(OneGiB);

        Assert.True(await repository.PushBlobAsync(blob, upload));
        var download = new MemoryWatchingSink();
        await repository.FetchBlobAsync(blob, download);

        Assert.Equal(OneGiB, upload.Position);
        Assert.Equal(OneGiB, download.BytesWritten);
        Assert.InRange(upload.MaxManagedBytesSeen, 1, ManagedMemoryBound);
        Assert.InRange(download.MaxManagedBytesSeen, 1, ManagedMemoryBound);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Discards what it is given, remembering how much and the most managed memory seen meanwhile.</summary>
    private sealed class MemoryWatchingSink : Stream
    {
        public long BytesWritten { get; private set; }

        public long MaxManagedBytesSeen { get; private set; }

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
            MaxManagedBytesSeen = Math.Max(MaxManagedBytesSeen, GC.GetTotalMemory(false));
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
