using System.Net;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>
/// A hostile registry tries to make the client reach the node's own network, read without end, or
/// echo its text into our errors. "hostile.test" resolves nowhere, so the client takes it for a registry
/// on the internet; a transport wrapper sends its requests to a local server, and everything it redirects
/// to goes through the client's real rules and network stack.
/// </summary>
public sealed class RegistrySsrfTests : IDisposable
{
    private const string ExternalHost = "hostile.test";

    private static readonly OciDescriptor Blob = OciTestContent.Describe(OciTestContent.RandomBytes(100, 3));

    // Where the hostile registry sends us; it must never see a request.
    private readonly HostileRegistry _target = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, "text/plain", "internal secret"));

    public void Dispose() => _target.Dispose();

    private static RegistryClient ExternalClient(HostileRegistry registry, RegistryClientOptions? options = null) =>
        new(options ?? OciTestContent.QuickRetries(0), transport: inner => new HostRewritingHandler(ExternalHost, registry.Host, inner));

    private static HostileRegistry RedirectingTo(string location) => HostileRegistry.Start(context =>
    {
        HostileRegistry.Redirect(context, location);
        return Task.CompletedTask;
    });

    private static RepositoryClient External(RegistryClient client) => client.Repository(OciReference.Parse($"{ExternalHost}/models/x:v1"));

    [Theory]
    [InlineData("http://127.0.0.1:{port}/blob", "https only")]
    [InlineData("http://example.com/blob", "https only")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "internal address")]
    [InlineData("https://10.1.2.3/blob", "internal address")]
    [InlineData("https://[::1]:{port}/blob", "internal address")]
    [InlineData("file:///etc/shadow", "neither http nor https")]
    public async Task A_blob_redirect_from_an_internet_registry_to_plain_http_or_an_internal_address_is_refused(string location, string why)
    {
        using var registry = RedirectingTo(location.Replace("{port}", _target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        using var client = ExternalClient(registry);

        var error = await Assert.ThrowsAsync<RegistryNotAllowedException>(() => External(client).FetchBlobAsync(Blob, Stream.Null));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Empty(_target.Requests);
    }

    [Fact]
    public async Task A_blob_redirect_to_a_name_that_resolves_to_loopback_is_refused_when_connecting()
    {
        using var registry = RedirectingTo($"https://localhost:{_target.Port}/blob");
        using var client = ExternalClient(registry);

        var error = await Assert.ThrowsAsync<RegistryNotAllowedException>(() => External(client).FetchBlobAsync(Blob, Stream.Null));

        Assert.Contains("resolves to the internal address", error.Message, StringComparison.Ordinal);
        Assert.Empty(_target.Requests);
    }

    [Fact]
    public async Task A_registry_on_the_loopback_may_redirect_to_its_own_host_on_another_port()
    {
        using var registry = RedirectingTo($"http://127.0.0.1:{_target.Port}/blob");
        using var client = new RegistryClient(OciTestContent.QuickRetries(0));

        // The target's body is not the blob: the redirect was followed and the content then refused.
        await Assert.ThrowsAsync<DigestMismatchException>(() =>
            client.Repository(OciReference.Parse($"{registry.Host}/models/x:v1")).FetchBlobAsync(Blob, Stream.Null));

        Assert.Equal(["GET /blob"], _target.Requests);
    }

    [Fact]
    public async Task A_token_realm_on_another_host_over_plain_http_is_refused()
    {
        using var registry = HostileRegistry.Start(context =>
        {
            context.Response.StatusCode = 401;
            context.Response.AddHeader("WWW-Authenticate", $"Bearer realm=\"http://127.0.0.1:{_target.Port}/token\",service=\"x\"");
            context.Response.Close();
            return Task.CompletedTask;
        });
        using var client = ExternalClient(registry);

        var error = await Assert.ThrowsAsync<RegistryNotAllowedException>(() =>
            client.Repository(OciReference.Parse($"{ExternalHost}/models/x:v1"), RegistryCredential.Basic("user", "secret")).GetManifestAsync("v1"));

        Assert.Contains("token realm", error.Message, StringComparison.Ordinal);
        Assert.Empty(_target.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_manifest_larger_than_the_bound_is_refused_as_corrupt_while_it_is_read(bool declareLength)
    {
        const long size = 64L << 20;
        HostileRegistry? registry = null;
        registry = HostileRegistry.Start(context => registry!.StreamAsync(context, 200, OciMediaTypes.ImageManifest, size, (byte)' ', declareLength));
        using (registry)
        {
            using var client = ExternalClient(registry);

            var error = await Assert.ThrowsAsync<ModelPackFormatException>(() => External(client).GetManifestAsync("v1"));

            Assert.Contains("more than the 4194304 bytes allowed", error.Message, StringComparison.Ordinal);
            Assert.True(registry.BodyBytesSent < size, "the client read the whole oversized manifest");
        }
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public async Task A_manifest_declaring_a_negative_or_absurd_layer_size_is_refused_as_corrupt(long layerSize)
    {
        var manifest = $$"""
            {"schemaVersion":2,"mediaType":"{{OciMediaTypes.ImageManifest}}",
             "config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"{{Blob.Digest}}","size":100},
             "layers":[{"mediaType":"{{OciTestContent.LayerMediaType}}","digest":"{{Blob.Digest}}","size":{{layerSize}}}]}
            """;
        using var registry = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, OciMediaTypes.ImageManifest, manifest));
        using var client = ExternalClient(registry);

        var error = await Assert.ThrowsAsync<ModelPackFormatException>(() => External(client).GetManifestAsync("v1"));

        Assert.Contains($"declares {layerSize} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blob_descriptor_with_a_negative_size_is_refused_as_corrupt_before_any_request()
    {
        using var registry = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, "application/octet-stream", ""));
        using var client = ExternalClient(registry);

        await Assert.ThrowsAsync<ModelPackFormatException>(() => External(client).OpenBlobAsync(Blob with { Size = -1 }));

        Assert.Empty(registry.Requests);
    }

    [Theory]
    [InlineData(400, 1 << 20)]
    [InlineData(404, 1 << 20)]
    [InlineData(404, 1000)]
    [InlineData(503, 1000)]
    public async Task A_huge_error_body_full_of_control_characters_reaches_the_error_only_as_a_short_escaped_excerpt(int status, int padding)
    {
        var message = "line one\r\nFORGED log line \u001b[2J" + new string('A', padding);
        var body = System.Text.Json.JsonSerializer.Serialize(new { errors = new[] { new { code = "DENIED", message } } });
        using var registry = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, status, "application/json", body));
        using var client = ExternalClient(registry);

        var error = await Assert.ThrowsAnyAsync<RegistryException>(() => External(client).GetManifestAsync("v1"));

        Assert.InRange(error.Message.Length, 1, 500);
        Assert.DoesNotContain(error.Message, char.IsControl);
        Assert.Contains("line one\\r\\nFORGED", error.Message, StringComparison.Ordinal);
        Assert.All(error.Errors, e => Assert.InRange(e.ToString().Length, 1, 300));
    }

    [Fact]
    public async Task A_registry_outside_the_allow_list_is_refused_before_any_request()
    {
        using var registry = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, "text/plain", ""));
        var options = OciTestContent.QuickRetries(0);
        options.AllowedRegistries.Add("*.example.com");
        options.AllowedRegistries.Add("registry:5000");
        using var client = new RegistryClient(options);

        var error = Assert.Throws<RegistryNotAllowedException>(() => client.Repository(OciReference.Parse($"{registry.Host}/models/x:v1")));

        Assert.Contains(registry.Host, error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Requests);
        Assert.True(client.IsAllowed("models.example.com"));
        Assert.True(client.IsAllowed("registry:5000"));
        Assert.False(client.IsAllowed("registry:5001"));
    }

    [Fact]
    public async Task Request_metrics_name_only_configured_registries_and_call_the_rest_other()
    {
        var manifest = System.Text.Encoding.UTF8.GetString(OciTestContent.Manifest(Blob, [Blob]));
        using var registry = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, OciMediaTypes.ImageManifest, manifest));
        using var other = HostileRegistry.Start(context => HostileRegistry.TextAsync(context, 200, OciMediaTypes.ImageManifest, manifest));
        var observer = new RecordingEndpointObserver();
        var options = OciTestContent.QuickRetries(0);
        options.Hosts[registry.Host] = new RegistryHostOptions();
        using var client = new RegistryClient(options, endpointObserver: observer);

        await client.Repository(OciReference.Parse($"{registry.Host}/models/x:v1")).GetManifestAsync("v1");
        await client.Repository(OciReference.Parse($"{other.Host}/models/x:v1")).GetManifestAsync("v1");

        Assert.Equal([registry.Host, "other"], observer.Requests.Select(r => r.Endpoint));
    }
}
