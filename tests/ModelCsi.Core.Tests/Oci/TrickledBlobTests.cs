using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class TrickledBlobTests
{
    [Fact]
    public async Task A_registry_that_trickles_a_blob_below_the_minimum_rate_is_given_up_on_after_the_resumes()
    {
        var content = OciTestContent.RandomBytes(100_000, 12);
        var blob = OciTestContent.Describe(content);
        // A few bytes every 20 ms, for as long as the client keeps reading: far below 100 kB/s.
        using var registry = HostileRegistry.Start(async context =>
        {
            context.Response.ContentLength64 = content.Length;
            context.Response.ContentType = "application/octet-stream";
            for (var sent = 0; sent < content.Length; sent += 8)
            {
                await context.Response.OutputStream.WriteAsync(content.AsMemory(sent, Math.Min(8, content.Length - sent)));
                await context.Response.OutputStream.FlushAsync();
                await Task.Delay(20);
            }

            context.Response.Close();
        });
        var options = OciTestContent.QuickRetries(0);
        options.MinBlobBytesPerSecond = 100_000;
        options.BlobReadStallTimeout = TimeSpan.FromMilliseconds(200);
        options.MaxBlobResumes = 2;
        using var client = new RegistryClient(options);

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            client.Repository(OciReference.Parse($"{registry.Host}/models/slow:v1")).FetchBlobAsync(blob, Stream.Null));

        Assert.Contains("slower than the minimum of 100000 bytes/s", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, registry.Requests.Count);
    }
}
