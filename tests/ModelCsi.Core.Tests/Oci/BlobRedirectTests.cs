using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class BlobRedirectTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_redirected_blob_is_fetched_from_the_other_host_without_the_registry_authorization()
    {
        var name = OciTestContent.UniqueRepository("redirect");
        var content = OciTestContent.RandomBytes(400_000, 41);
        var blob = OciTestContent.Describe(content);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        await client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}")).PushBlobAsync(blob, new MemoryStream(content));
        await using var storage = FaultProxy.Start(fixture.Registry.Host);
        // A registry front that demands Basic auth and answers blob GETs with 307 to its storage on another port.
        var redirectsSent = 0;
        using var front = HostileRegistry.Start(context =>
        {
            if (context.Request.Headers["Authorization"] is null)
            {
                context.Response.StatusCode = 401;
                context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"front\"");
                context.Response.Close();
            }
            else
            {
                Interlocked.Increment(ref redirectsSent);
                HostileRegistry.Redirect(context, $"http://{storage.Host}{context.Request.Url!.PathAndQuery}");
            }

            return Task.CompletedTask;
        });
        var repository = client.Repository(OciReference.Parse($"{front.Host}/{name}"), RegistryCredential.Basic("user", "front-secret"));
        using var copy = new MemoryStream();

        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(content, copy.ToArray());
        Assert.True(Volatile.Read(ref redirectsSent) >= 1);
        var fetched = Assert.Single(storage.Requests, r => r.Method == "GET");
        Assert.False(fetched.HasAuthorization);
    }
}
