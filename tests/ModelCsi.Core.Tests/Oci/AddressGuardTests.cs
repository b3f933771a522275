using System.Net;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class AddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("10.20.30.40", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void Loopback_link_local_private_and_shared_addresses_are_internal(string address, bool expected) =>
        Assert.Equal(expected, AddressGuard.IsInternal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("line\r\nforged", "line\\r\\nforged")]
    [InlineData("bell\u0007", "bell\\u0007")]
    [InlineData("plain text", "plain text")]
    public void Remote_text_is_escaped_before_it_reaches_a_message(string text, string expected) =>
        Assert.Equal(expected, ResponseExcerpt.Sanitise(text));

    [Fact]
    public void Remote_text_is_cut_to_a_short_excerpt() =>
        Assert.Equal(ResponseExcerpt.MaxLength + 1, ResponseExcerpt.Sanitise(new string('x', 100_000)).Length);
}
