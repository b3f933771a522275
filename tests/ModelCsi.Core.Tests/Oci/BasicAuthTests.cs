using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class BasicAuthTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IDisposable
{
    private static readonly RegistryCredential Right =
        RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password, "test secret");

    private readonly RegistryClient _client = new(OciTestContent.QuickRetries());

    private RepositoryClient Repository(string name, RegistryCredential? credential) =>
        _client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}"), credential);

    [Fact]
    public async Task The_right_username_and_password_push_and_pull()
    {
        var repository = Repository(OciTestContent.UniqueRepository("basic"), Right);
        var content = OciTestContent.RandomBytes(10_000, 21);
        var blob = OciTestContent.Describe(content);
        var manifest = OciTestContent.Manifest(blob with { MediaType = "application/vnd.cncf.model.config.v1+json" }, [blob]);

        await repository.PingAsync();
        await repository.PushBlobAsync(blob, new MemoryStream(content));
        await repository.PushManifestAsync("v1", OciMediaTypes.ImageManifest, manifest);
        var fetched = await repository.GetManifestAsync("v1");
        using var copy = new MemoryStream();
        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(Digest.Of(manifest), fetched.Digest);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task No_credentials_throw_RegistryAuthException_naming_registry_and_repository()
    {
        var name = OciTestContent.UniqueRepository("basic");

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() => Repository(name, null).GetManifestAsync("v1"));

        Assert.Contains(fixture.Registry.Host, error.Message, StringComparison.Ordinal);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains("none were given", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_throws_RegistryAuthException_without_revealing_it()
    {
        var wrong = RegistryCredential.Basic(BasicAuthRegistryFixture.User, "not-the-password", "test secret");

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() => Repository(OciTestContent.UniqueRepository("basic"), wrong).GetManifestAsync("v1"));

        Assert.Contains("username and password from test secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.User, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", wrong.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _client.Dispose();
}
