using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class InjectedHandlerTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_handler_put_in_front_of_the_client_sees_every_request_on_its_way_to_the_registry()
    {
        var name = OciTestContent.UniqueRepository("injected");
        var content = OciTestContent.RandomBytes(5000, 8);
        var blob = OciTestContent.Describe(content);
        var recorder = (RecordingHandler?)null;
        using var client = new RegistryClient(OciTestContent.QuickRetries(), transport: inner => recorder = new RecordingHandler(inner));
        var repository = client.Repository(OciReference.Parse($"{fixture.Registry.Host}/{name}"));

        await repository.PushBlobAsync(blob, new MemoryStream(content));
        using var copy = new MemoryStream();
        await repository.FetchBlobAsync(blob, copy);

        Assert.Equal(content, copy.ToArray());
        Assert.NotNull(recorder);
        Assert.Contains($"HEAD /v2/{name}/blobs/{blob.Digest}", recorder.Requests);
        Assert.Contains($"POST /v2/{name}/blobs/uploads/", recorder.Requests);
        Assert.Contains($"GET /v2/{name}/blobs/{blob.Digest}", recorder.Requests);
    }

    [Fact]
    public async Task A_handler_can_stand_in_for_the_network_and_the_client_answers_its_challenge()
    {
        var manifest = OciTestContent.Manifest(OciTestContent.Describe([1]), [OciTestContent.Describe([2])]);
        var fake = new FakeRegistryHandler(manifest);
        using var client = new RegistryClient(OciTestContent.QuickRetries(), transport: _ => fake);
        var repository = client.Repository(OciReference.Parse("registry.invalid/team/model:v1"), RegistryCredential.Basic("alice", "s3cret"));

        var first = await repository.GetManifestAsync("v1");
        var second = await repository.GetManifestAsync("v1");

        Assert.Equal(Digest.Of(manifest), first.Digest);
        Assert.Equal(first.Digest, second.Digest);
        // One challenge, then the remembered Basic credentials go with every request.
        Assert.Equal([null, "Basic", "Basic"], fake.AuthorizationSchemes);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), fake.LastAuthorization?.Parameter);
    }

    private sealed class RecordingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requests = new();

        public IReadOnlyList<string> Requests => [.. _requests];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _requests.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A registry in memory that wants Basic credentials and serves one manifest.</summary>
    private sealed class FakeRegistryHandler(byte[] manifest) : HttpMessageHandler
    {
        private readonly List<string?> _schemes = [];

        public IReadOnlyList<string?> AuthorizationSchemes
        {
            get
            {
                lock (_schemes)
                {
                    return [.. _schemes];
                }
            }
        }

        public AuthenticationHeaderValue? LastAuthorization { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_schemes)
            {
                _schemes.Add(request.Headers.Authorization?.Scheme);
            }

            LastAuthorization = request.Headers.Authorization;
            if (request.Headers.Authorization is null)
            {
                var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized);
                challenge.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue("Basic", "realm=\"fake\""));
                return Task.FromResult(challenge);
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(manifest) };
            response.Content.Headers.ContentType = new MediaTypeHeaderValue(OciMediaTypes.ImageManifest);
            return Task.FromResult(response);
        }
    }
}
