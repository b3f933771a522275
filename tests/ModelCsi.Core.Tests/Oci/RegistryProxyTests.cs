using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class RegistryProxyTests
{
    private static readonly Uri Proxy = new("http://proxy.corp:3128");

    [Theory]
    [InlineData("https://registry.corp.example/v2/", true)]
    [InlineData("https://a.svc.cluster.local/v2/", true)]
    [InlineData("http://10.0.0.1:5000/v2/", true)]
    [InlineData("https://ghcr.io/v2/", false)]
    [InlineData("https://notcorp.example/v2/", false)]
    public void No_proxy_entries_match_exact_hosts_host_ports_and_domain_suffixes(string url, bool bypassed)
    {
        var proxy = new RegistryProxy(Proxy, ["registry.corp.example", ".cluster.local", "10.0.0.1:5000", " "]);

        Assert.Equal(bypassed ? null : Proxy, proxy.GetProxy(new Uri(url)));
    }

    [Fact]
    public void A_star_bypasses_everything_and_a_star_dot_entry_is_a_suffix()
    {
        Assert.Null(new RegistryProxy(Proxy, ["*"]).GetProxy(new Uri("https://ghcr.io/")));
        Assert.Null(new RegistryProxy(Proxy, ["*.corp.example"]).GetProxy(new Uri("https://r.corp.example/")));
        Assert.Equal(Proxy, new RegistryProxy(Proxy, ["*.corp.example"]).GetProxy(new Uri("https://corpXexample/")));
    }
}
