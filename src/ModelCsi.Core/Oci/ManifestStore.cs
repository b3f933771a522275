using System.Net;
using System.Net.Http.Headers;

namespace ModelCsi.Core.Oci;

/// <summary>Manifests and indexes of one repository: fetched through mirrors then the origin, pushed to the origin.</summary>
internal sealed class ManifestStore(RegistryClient registry, RepositoryEndpoints endpoints)
{
    private static readonly MediaTypeWithQualityHeaderValue[] Accept =
        [.. OciMediaTypes.AcceptedManifestTypes.Select(type => new MediaTypeWithQualityHeaderValue(type))];

    private OciReference Reference => endpoints.Reference;

    public Task<ManifestResponse> GetAsync(string tagOrDigest, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tagOrDigest);
        var byDigest = tagOrDigest.Contains(':', StringComparison.Ordinal);
        if (byDigest && !Digest.IsValidSha256(tagOrDigest))
        {
            throw new ArgumentException($"'{ResponseExcerpt.Sanitise(tagOrDigest, 80)}' is neither a tag nor a sha256 digest", nameof(tagOrDigest));
        }

        var what = $"manifest {endpoints.Name}{(byDigest ? "@" : ":")}{tagOrDigest}";
        return endpoints.PullAsync(RegistryRequestKind.Manifest, what, byTag: !byDigest,
            endpoint => GetFromAsync(endpoint, tagOrDigest, byDigest, what, cancellationToken), cancellationToken);
    }

    private async Task<ManifestResponse> GetFromAsync(RegistryEndpoint endpoint, string tagOrDigest, bool byDigest, string what, CancellationToken cancellationToken)
    {
        var plan = new RequestPlan(HttpMethod.Get, endpoint.ManifestUri(tagOrDigest), endpoint.PullScope, what)
        {
            Configure = request =>
            {
                foreach (var type in Accept)
                {
                    request.Headers.Accept.Add(type);
                }
            },
        };
        using var response = await registry.Sender.SendAsync(endpoint, Reference, plan, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var (errors, said) = await RegistryResponses.ReadErrorsAsync(response, cancellationToken);
            throw new ManifestNotFoundException($"{what} not found (HTTP 404{said})", response.StatusCode, errors);
        }

        await RegistryResponses.EnsureSuccessAsync(response, endpoint, Reference.Registry, Reference.Repository, what, cancellationToken);
        var content = await RegistryResponses.ReadLimitedAsync(response, registry.Options.MaxManifestBytes, what, cancellationToken);
        var digest = Digest.Of(content);
        if (byDigest && digest != tagOrDigest)
        {
            throw new DigestMismatchException(tagOrDigest, content.LongLength, digest, content.LongLength, what);
        }

        var headerDigest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (headerDigest is not null && headerDigest.StartsWith(Digest.Sha256Prefix, StringComparison.Ordinal) && headerDigest != digest)
        {
            throw new DigestMismatchException(ResponseExcerpt.Sanitise(headerDigest, 80), content.LongLength, digest, content.LongLength,
                $"{what} (Docker-Content-Digest header)");
        }

        var (mediaType, manifest, index) = ManifestReader.Read(content, response.Content.Headers.ContentType?.MediaType, registry.Options, what);
        Log.ManifestFetched(registry.Logger, what, digest, mediaType, content.Length);
        return new ManifestResponse { Digest = digest, MediaType = mediaType, Content = content, Manifest = manifest, Index = index };
    }

    public async Task<string> PushAsync(string tagOrDigest, string mediaType, byte[] content, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tagOrDigest);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        ArgumentNullException.ThrowIfNull(content);
        var origin = endpoints.Origin;
        var digest = Digest.Of(content);
        var what = $"push of manifest {endpoints.Name}:{tagOrDigest}";
        var plan = new RequestPlan(HttpMethod.Put, origin.ManifestUri(tagOrDigest), origin.PushScope, what)
        {
            Content = _ =>
            {
                var body = new ByteArrayContent(content);
                body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return body;
            },
        };
        using var response = await registry.Sender.SendAsync(origin, Reference, plan, cancellationToken);
        await RegistryResponses.EnsureSuccessAsync(response, origin, Reference.Registry, Reference.Repository, what, cancellationToken);
        var headerDigest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (headerDigest is not null && headerDigest != digest)
        {
            throw new DigestMismatchException(digest, content.LongLength, ResponseExcerpt.Sanitise(headerDigest, 80), content.LongLength,
                $"{what}: the registry stored different bytes");
        }

        Log.ManifestPushed(registry.Logger, endpoints.Name, tagOrDigest, digest);
        return digest;
    }
}
