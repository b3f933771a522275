using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class TokenAuthTests(TokenAuthRegistryFixture fixture) : IClassFixture<TokenAuthRegistryFixture>
{
    private static readonly RegistryCredential Right =
        RegistryCredential.Basic(TokenAuthRegistryFixture.User, TokenAuthRegistryFixture.Password, "test secret");

    private RepositoryClient Repository(RegistryClient client, string name, RegistryCredential? credential) =>
        client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}"), credential);

    private async Task<(string Name, OciDescriptor Blob)> PushModelAsync()
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var name = OciTestContent.UniqueRepository("token");
        var repository = Repository(client, name, Right);
        var content = OciTestContent.RandomBytes(20_000, 31);
        var blob = OciTestContent.Describe(content);
        await repository.PushBlobAsync(blob, new MemoryStream(content));
        await repository.PushManifestAsync("v1", OciMediaTypes.ImageManifest,
            OciTestContent.Manifest(blob with { MediaType = "application/vnd.cncf.model.config.v1+json" }, [blob]));
        return (name, blob);
    }

    [Fact]
    public async Task The_right_credentials_get_a_token_that_is_reused_across_many_requests()
    {
        var (name, blob) = await PushModelAsync();
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repository = Repository(client, name, Right);
        var before = fixture.Tokens.Requests;

        for (var i = 0; i < 5; i++)
        {
            await repository.GetManifestAsync("v1");
            await repository.FetchBlobAsync(blob, Stream.Null);
        }

        Assert.Equal(1, fixture.Tokens.Requests - before);
    }

    [Fact]
    public async Task Concurrent_first_requests_share_one_token_request()
    {
        var (name, _) = await PushModelAsync();
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var before = fixture.Tokens.Requests;

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Repository(client, name, Right).GetManifestAsync("v1")));

        Assert.Single(results.Select(r => r.Digest).Distinct());
        Assert.Equal(1, fixture.Tokens.Requests - before);
    }

    [Fact]
    public async Task An_expired_token_is_replaced_and_access_token_responses_are_understood()
    {
        var (name, _) = await PushModelAsync();
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using var client = new RegistryClient(OciTestContent.QuickRetries(), timeProvider: clock);
        var repository = Repository(client, name, Right);
        fixture.Tokens.UseAccessTokenField = true;
        try
        {
            var before = fixture.Tokens.Requests;
            await repository.GetManifestAsync("v1");
            clock.Advance(TimeSpan.FromSeconds(fixture.Tokens.ExpiresInSeconds - 1));
            await repository.GetManifestAsync("v1");

            Assert.Equal(2, fixture.Tokens.Requests - before);
        }
        finally
        {
            fixture.Tokens.UseAccessTokenField = false;
        }
    }

    [Fact]
    public async Task An_identity_token_is_exchanged_for_an_access_token_with_the_refresh_token_grant()
    {
        var (name, blob) = await PushModelAsync();
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var identity = new RegistryCredential { IdentityToken = TokenAuthRegistryFixture.IdentityToken, Source = "docker config" };

        await Repository(client, name, identity).FetchBlobAsync(blob, Stream.Null);
        var error = await Assert.ThrowsAsync<RegistryAuthException>(() =>
            Repository(client, name, new RegistryCredential { IdentityToken = "revoked" }).FetchBlobAsync(blob, Stream.Null));

        Assert.Contains("identity token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("revoked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_throw_RegistryAuthException_from_the_token_service()
    {
        var (name, _) = await PushModelAsync();
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var wrong = RegistryCredential.Basic(TokenAuthRegistryFixture.User, "wrong-password");

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() => Repository(client, name, wrong).GetManifestAsync("v1"));

        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_access_is_refused_with_RegistryAuthException()
    {
        var (name, _) = await PushModelAsync();
        using var client = new RegistryClient(OciTestContent.QuickRetries());

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() => Repository(client, name, null).GetManifestAsync("v1"));

        Assert.Contains("anonymous", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cached_token_the_registry_rejects_is_replaced_once_and_the_request_succeeds()
    {
        var (name, blob) = await PushModelAsync();
        await using var proxy = FaultProxy.Start(fixture.Registry.Host);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repository = client.Repository(OciReference.Parse($"{proxy.Host}/{name}"), Right);
        await repository.GetManifestAsync("v1");
        var before = fixture.Tokens.Requests;

        // The registry answers 401 with its real challenge, as it does for a revoked or early-expired token.
        proxy.InvalidateNextAuthorizations("/blobs/", 1);
        await repository.FetchBlobAsync(blob, Stream.Null);
        await repository.FetchBlobAsync(blob, Stream.Null);

        Assert.Equal(1, fixture.Tokens.Requests - before);
        Assert.Equal(3, proxy.CountRequests("GET", "/blobs/"));
    }
}
