using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class RegistryHostPatternTests
{
    [Theory]
    [InlineData("registry.example.com", "registry.example.com", true)]
    [InlineData("registry.example.com", "REGISTRY.example.com:5000", true)]
    [InlineData("registry:5000", "registry:5000", true)]
    [InlineData("registry:5000", "registry:5001", false)]
    [InlineData("registry:5000", "registry", false)]
    [InlineData("*.example.com", "models.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com:443", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "evilexample.com", false)]
    [InlineData("*.example.com", "example.com.evil.net", false)]
    [InlineData("*.example.com:443", "models.example.com:8443", false)]
    [InlineData("[::1]:5000", "[::1]:5000", true)]
    [InlineData("127.0.0.1", "127.0.0.1:5000", true)]
    public void A_pattern_matches_hosts_ports_and_subdomains_as_written(string pattern, string registry, bool expected) =>
        Assert.Equal(expected, RegistryHostPattern.Matches(pattern, registry));

    [Theory]
    [InlineData("registry.example.com", true)]
    [InlineData("*.example.com", true)]
    [InlineData("registry:5000", true)]
    [InlineData("*", false)]
    [InlineData("a*.example.com", false)]
    [InlineData("registry:99999", false)]
    [InlineData("", false)]
    public void Only_host_host_port_and_star_dot_domain_patterns_are_accepted(string pattern, bool valid) =>
        Assert.Equal(valid, RegistryHostPattern.IsValid(pattern));

    [Fact]
    public void A_client_with_an_invalid_allowed_registry_refuses_to_start()
    {
        var options = new RegistryClientOptions();
        options.AllowedRegistries.Add("*");

        Assert.Throws<ArgumentException>(() => new RegistryClient(options));
    }
}
