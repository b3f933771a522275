using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class DigestVerifyingStreamTests
{
    private static readonly byte[] Content = OciTestContent.RandomBytes(100_000, 1);
    private static readonly OciDescriptor Descriptor = OciTestContent.Describe(Content);

    [Fact]
    public async Task Content_matching_its_descriptor_reads_through_and_is_marked_verified()
    {
        await using var verifying = new DigestVerifyingStream(new MemoryStream(Content), Descriptor);
        using var copy = new MemoryStream();

        await verifying.CopyToAsync(copy);

        Assert.True(verifying.Verified);
        Assert.Equal(Content, copy.ToArray());
    }

    [Fact]
    public async Task Altered_content_of_the_right_size_fails_naming_both_digests()
    {
        var altered = (byte[])Content.Clone();
        altered[5000] ^= 1;
        await using var verifying = new DigestVerifyingStream(new MemoryStream(altered), Descriptor);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => verifying.CopyToAsync(Stream.Null));

        Assert.Contains(Descriptor.Digest, error.Message, StringComparison.Ordinal);
        Assert.Contains(Digest.Of(altered), error.Message, StringComparison.Ordinal);
        Assert.Contains("100000 bytes", error.Message, StringComparison.Ordinal);
        Assert.False(verifying.Verified);
    }

    [Fact]
    public async Task Truncated_content_fails_naming_expected_and_actual_size()
    {
        await using var verifying = new DigestVerifyingStream(new MemoryStream(Content[..99_000]), Descriptor);

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => verifying.CopyToAsync(Stream.Null));

        Assert.Equal(100_000, error.ExpectedSize);
        Assert.Equal(99_000, error.ActualSize);
        Assert.Contains("99000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_longer_than_the_descriptor_fails_as_soon_as_it_overflows()
    {
        using var verifying = new DigestVerifyingStream(new MemoryStream([.. Content, 1, 2, 3]), Descriptor);
        var buffer = new byte[200_000];

        var error = Assert.Throws<DigestMismatchException>(() => verifying.ReadExactly(buffer.AsSpan(0, 100_003)));

        Assert.Equal(100_003, error.ActualSize);
    }

    [Fact]
    public async Task A_stream_seeded_with_a_partial_file_verifies_the_whole_blob()
    {
        using var directory = new TempDirectory();
        var partial = directory.Combine("partial");
        await File.WriteAllBytesAsync(partial, Content[..40_000]);
        await using var verifying = new DigestVerifyingStream(new MemoryStream(Content[40_000..]), Descriptor);
        await using (var prefix = File.OpenRead(partial))
        {
            Assert.Equal(40_000, await verifying.SeedAsync(prefix));
        }

        await verifying.CopyToAsync(Stream.Null);

        Assert.True(verifying.Verified);
        Assert.Equal(100_000, verifying.BytesHashed);
    }

    [Fact]
    public async Task A_wrong_seed_is_caught_at_the_end()
    {
        await using var verifying = new DigestVerifyingStream(new MemoryStream(Content[40_000..]), Descriptor);
        verifying.Seed(new byte[40_000]);

        await Assert.ThrowsAsync<DigestMismatchException>(() => verifying.CopyToAsync(Stream.Null));
    }

    [Fact]
    public void Seeding_after_reading_is_refused()
    {
        using var verifying = new DigestVerifyingStream(new MemoryStream(Content), Descriptor);
        _ = verifying.ReadByte();

        Assert.Throws<InvalidOperationException>(() => verifying.Seed([1]));
    }

    [Fact]
    public void Only_sha256_digests_can_be_verified()
    {
        Assert.Throws<ArgumentException>(() => new DigestVerifyingStream(Stream.Null, "sha512:abcd", 0));
    }
}
