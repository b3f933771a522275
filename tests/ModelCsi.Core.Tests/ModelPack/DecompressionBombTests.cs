using System.Formats.Tar;
using System.IO.Compression;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;
using ZstdSharp;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// A small layer that expands to far more than the caller's budget stops as soon as the budget is passed,
/// having written no more than the budget (a 1.6 MB zstd layer used to fill a 2 GiB disk).
/// </summary>
public sealed class DecompressionBombTests : IDisposable
{
    private const long Limit = 10 << 20;
    private const int Expanded = 200 << 20;
    private static readonly byte[] ZeroMiB = new byte[1 << 20];
    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string> CompressedForms => new()
    {
        "application/vnd.cncf.model.weight.v1.tar+gzip",
        "application/vnd.cncf.model.weight.v1.tar+zstd",
    };

    [Theory]
    [MemberData(nameof(CompressedForms))]
    public async Task Two_hundred_one_MiB_entries_stop_at_a_ten_MiB_limit(string mediaType)
    {
        var blob = Compress(mediaType, output =>
        {
            using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            for (var i = 0; i < Expanded / ZeroMiB.Length; i++)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"shard-{i:D3}.bin") { DataStream = new MemoryStream(ZeroMiB, writable: false) });
            }
        });

        await AssertStoppedAsync(blob, mediaType);
    }

    [Theory]
    [MemberData(nameof(CompressedForms))]
    public async Task Zeros_after_the_end_of_the_archive_are_counted_too(string mediaType)
    {
        // Zero blocks read as the end-of-archive marker; the rest of the stream is drained, and counted.
        var blob = Compress(mediaType, output =>
        {
            for (var i = 0; i < Expanded / ZeroMiB.Length; i++)
            {
                output.Write(ZeroMiB);
            }
        });

        await AssertStoppedAsync(blob, mediaType);
    }

    [Theory]
    [MemberData(nameof(CompressedForms))]
    public async Task One_entry_declaring_more_than_the_limit_is_refused_before_its_data_is_written(string mediaType)
    {
        var blob = Compress(mediaType, output =>
        {
            using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "big.bin") { DataStream = new ZeroStream(Expanded) });
        });

        var error = await AssertStoppedAsync(blob, mediaType);

        Assert.Equal(Expanded, error.ExpandedAtLeast);
        Assert.False(Path.Exists(_sandbox.InRoot("big.bin")));
    }

    [Theory]
    [InlineData("application/vnd.cncf.model.weight.v1.tar")]
    [InlineData("application/vnd.cncf.model.weight.v1.raw")]
    public async Task An_uncompressed_layer_larger_than_the_limit_is_refused_before_it_is_read(string mediaType)
    {
        var descriptor = new OciDescriptor
        {
            MediaType = mediaType,
            Digest = Digest.Of([]),
            Size = Limit + 1,
            Annotations = new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "w.bin" },
        };
        var content = new MemoryStream(new byte[16]);

        var error = await Assert.ThrowsAsync<ExpansionLimitExceededException>(
            () => new LayerUnpacker().UnpackAsync(content, descriptor, _sandbox.Root, new UnpackLimits { MaxExpandedBytes = Limit }));

        Assert.Equal(Limit + 1, error.ExpandedAtLeast);
        Assert.Equal(0, content.Position);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.Root));
    }

    [Fact]
    public async Task A_negative_layer_size_is_a_format_error()
    {
        var descriptor = new OciDescriptor { MediaType = "application/vnd.cncf.model.weight.v1.tar", Digest = Digest.Of([]), Size = -1 };

        var error = await Assert.ThrowsAsync<ModelPackFormatException>(
            () => new LayerUnpacker().UnpackAsync(new MemoryStream(), descriptor, _sandbox.Root, UnpackLimits.Default));

        Assert.Contains("negative size", error.Message, StringComparison.Ordinal);
    }

    private async Task<ExpansionLimitExceededException> AssertStoppedAsync(byte[] blob, string mediaType)
    {
        Assert.True(blob.Length < 2 << 20, $"the bomb should be small, is {blob.Length} bytes");
        var descriptor = LayerBlob.Descriptor(mediaType, blob);

        var error = await Assert.ThrowsAsync<ExpansionLimitExceededException>(
            () => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root, new UnpackLimits { MaxExpandedBytes = Limit }));

        Assert.Equal(descriptor.Digest, error.LayerDigest);
        Assert.Equal(Limit, error.Limit);
        Assert.InRange(error.ExpandedAtLeast, Limit + 1, Expanded);
        var written = Directory.EnumerateFiles(_sandbox.Root, "*", SearchOption.AllDirectories).Sum(path => new FileInfo(path).Length);
        Assert.InRange(written, 0, Limit);
        _sandbox.AssertNothingOutsideRoot();
        return error;
    }

    private static byte[] Compress(string mediaType, Action<Stream> write)
    {
        using var buffer = new MemoryStream();
        using (Stream compressor = mediaType.EndsWith("gzip", StringComparison.Ordinal)
            ? new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)
            : new CompressionStream(buffer, 3, leaveOpen: true))
        {
            write(compressor);
        }

        return buffer.ToArray();
    }
}
