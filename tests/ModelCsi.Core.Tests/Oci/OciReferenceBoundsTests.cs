using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>References come from pods; oversized or control-character ones fail fast with short messages.</summary>
public sealed class OciReferenceBoundsTests
{
    [Fact]
    public void A_megabyte_reference_is_rejected_by_its_length_without_being_echoed()
    {
        var reference = "registry.example.com/" + new string('a', 1 << 20) + ":v1";

        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse(reference));

        Assert.Contains($"at most {OciReference.MaxLength}", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 1024, $"message of {error.Message.Length} characters");
        Assert.False(OciReference.TryParse(reference, out _));
    }

    [Theory]
    [InlineData("registry.example.com/model@sha256:{0}")]
    [InlineData("registry.example.com/model:{0}")]
    [InlineData("registry.example.com/{0}/model")]
    [InlineData("{0}.example.com/model")]
    public void An_oversized_part_is_rejected_with_a_short_message(string format)
    {
        var reference = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, new string('b', 4000));

        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse(reference));

        Assert.True(error.Message.Length < 1024, $"message of {error.Message.Length} characters");
        Assert.DoesNotContain(new string('b', 600), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_are_rejected_and_not_echoed()
    {
        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse("example.com/model\u001b[31m:v1"));

        Assert.Contains("control characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact]
    public void The_longest_valid_reference_still_parses()
    {
        var repository = string.Join('/', Enumerable.Repeat(new string('r', 40), 5));
        var reference = $"registry.example.com/{repository}:{new string('t', 128)}@sha256:{new string('0', 64)}";

        var parsed = OciReference.Parse(reference);

        Assert.Equal(reference, parsed.ToString());
    }
}
