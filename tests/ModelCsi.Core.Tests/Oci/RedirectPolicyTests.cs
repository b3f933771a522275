using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class RedirectPolicyTests
{
    [Theory]
    // The registry's own host: any scheme and port, never guarded.
    [InlineData("https://registry.test/", "http://registry.test:8080/blob", false)]
    // A registry on an internal network may send us to its storage there.
    [InlineData("http://127.0.0.1:5000/", "https://10.0.0.5/blob", false)]
    [InlineData("http://10.1.1.1:5000/", "https://storage.internal.test/blob", false)]
    // A registry on the internet may send us to another https host, whose address is checked when connecting.
    [InlineData("https://registry.test/", "https://cdn.test/blob", true)]
    public async Task Allowed_targets_are_followed_and_guarded_unless_the_registry_itself_is_internal(string registry, string target, bool guarded) =>
        Assert.Equal(guarded, await RedirectPolicy.CheckAsync(new Uri(registry), new Uri(target), "test", CancellationToken.None));

    [Theory]
    [InlineData("https://registry.test/", "http://cdn.test/blob")]
    [InlineData("http://127.0.0.1:5000/", "http://localhost:5000/blob")]
    [InlineData("https://registry.test/", "https://192.168.0.1/blob")]
    [InlineData("https://registry.test/", "ftp://registry.test/blob")]
    public async Task Plain_http_to_another_host_and_internal_addresses_from_an_internet_registry_are_refused(string registry, string target) =>
        await Assert.ThrowsAsync<RegistryNotAllowedException>(() => RedirectPolicy.CheckAsync(new Uri(registry), new Uri(target), "test", CancellationToken.None));
}
