using ModelCsi.Core.Cache;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("200Gi", 200L * 1024 * 1024 * 1024)]
    [InlineData("500Mi", 500L * 1024 * 1024)]
    [InlineData("64Ki", 64L * 1024)]
    [InlineData("10G", 10_000_000_000L)]
    [InlineData("10GB", 10_000_000_000L)]
    [InlineData("1.5Gi", 3L * 512 * 1024 * 1024)]
    [InlineData("1048576", 1048576L)]
    [InlineData(" 7 M ", 7_000_000L)]
    [InlineData("0", 0L)]
    public void Sizes_parse_in_binary_decimal_and_plain_bytes(string text, long bytes) =>
        Assert.Equal(bytes, ByteSize.Parse(text).Bytes);

    [Theory]
    [InlineData("")]
    [InlineData("Gi")]
    [InlineData("-5Gi")]
    [InlineData("12 parsecs")]
    [InlineData("99999999999Pi")]
    public void Text_that_is_not_a_size_is_refused(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ByteSize.Parse(text));
    }

    [Fact]
    public void A_size_prints_in_the_largest_exact_binary_unit() =>
        Assert.Equal(["200Gi", "1536Mi", "1000"], new[] { ByteSize.Parse("200Gi"), ByteSize.Parse("1.5Gi"), ByteSize.Parse("1000") }.Select(s => s.ToString()));

    [Fact]
    public void The_type_converter_that_configuration_binding_uses_reads_a_size()
    {
        var options = new ModelCacheOptions();
        var converter = System.ComponentModel.TypeDescriptor.GetConverter(typeof(ByteSize));
        options.MaxSize = (ByteSize)converter.ConvertFromInvariantString("200Gi")!;
        Assert.Equal(200L << 30, options.MaxSize.Bytes);
    }
}
