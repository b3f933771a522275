using System.Net;
using System.Net.Http.Headers;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Blobs of one repository: opened as resumable streams through mirrors then the origin, checked for
/// and uploaded at the origin.
/// </summary>
internal sealed class BlobStore(RegistryClient registry, RepositoryEndpoints endpoints)
{
    private OciReference Reference => endpoints.Reference;

    public async Task<Stream> OpenAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (!Digest.IsValidSha256(blob.Digest))
        {
            throw new ArgumentException($"blob digest '{ResponseExcerpt.Sanitise(blob.Digest, 80)}' is not a sha256 digest", nameof(blob));
        }

        // Descriptors come from manifests: a negative or absurd size is a corrupt artifact, not a caller's bug.
        ManifestReader.Check(blob, registry.Options.MaxBlobBytes, "blob", $"blob of {endpoints.Name}");
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, blob.Size);
        var first = offset < blob.Size ? await OpenBodyAsync(blob, offset, cancellationToken) : null;
        return new ResumableBlobStream(blob, offset, first, OpenBodyAsync, registry, $"blob {blob.Digest} of {endpoints.Name}");
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken)
    {
        if (!Digest.IsValidSha256(digest))
        {
            throw new ArgumentException($"'{ResponseExcerpt.Sanitise(digest, 80)}' is not a sha256 digest", nameof(digest));
        }

        var origin = endpoints.Origin;
        var what = $"blob {digest} of {endpoints.Name}";
        var plan = new RequestPlan(HttpMethod.Head, origin.BlobUri(digest), origin.PullScope, what) { FollowRedirects = true };
        using var response = await registry.Sender.SendAsync(origin, Reference, plan, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await RegistryResponses.EnsureSuccessAsync(response, origin, Reference.Registry, Reference.Repository, what, cancellationToken);
        return true;
    }

    public async Task<bool> PushAsync(OciDescriptor blob, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(blob.Size);
        if (await ExistsAsync(blob.Digest, cancellationToken))
        {
            Log.BlobExists(registry.Logger, blob.Digest, endpoints.Name);
            return false;
        }

        var origin = endpoints.Origin;
        var what = $"upload of blob {blob.Digest} to {endpoints.Name}";
        Uri location;
        using (var started = await registry.Sender.SendAsync(origin, Reference, new RequestPlan(HttpMethod.Post, origin.UploadsUri, origin.PushScope, what), cancellationToken))
        {
            await RegistryResponses.EnsureSuccessAsync(started, origin, Reference.Registry, Reference.Repository, what, cancellationToken);
            location = started.Headers.Location is { } header
                ? new Uri(origin.UploadsUri, header)
                : throw new RegistryException($"{what}: the registry answered {(int)started.StatusCode} without a Location header", started.StatusCode);
        }

        // The upload URL is the registry's to choose, but our blob goes only where a redirect could send it.
        var guarded = await RedirectPolicy.CheckAsync(origin.BaseUri, location, what, cancellationToken);
        var builder = new UriBuilder(location);
        var digestParameter = "digest=" + Uri.EscapeDataString(blob.Digest);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + digestParameter : digestParameter;
        var start = content.CanSeek ? content.Position : -1;
        var plan = new RequestPlan(HttpMethod.Put, builder.Uri, origin.PushScope, what)
        {
            Replayable = content.CanSeek,
            Guarded = guarded,
            Content = attempt =>
            {
                if (attempt > 0)
                {
                    if (start < 0)
                    {
                        return null;
                    }

                    content.Position = start;
                }

                var body = new StreamContent(ReadOnlyStreamView.Borrowing(content), 1 << 20);
                body.Headers.ContentLength = blob.Size;
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return body;
            },
        };
        using var response = await registry.Sender.SendAsync(origin, Reference, plan, cancellationToken);
        await RegistryResponses.EnsureSuccessAsync(response, origin, Reference.Registry, Reference.Repository, what, cancellationToken);
        Log.BlobPushed(registry.Logger, blob.Digest, blob.Size, endpoints.Name);
        return true;
    }

    /// <summary>One GET for a blob's bytes from <paramref name="offset"/>, from the first endpoint that has it.</summary>
    private Task<Stream> OpenBodyAsync(OciDescriptor blob, long offset, CancellationToken cancellationToken) =>
        endpoints.PullAsync(RegistryRequestKind.Blob, $"blob {blob.Digest} of {endpoints.Name}", byTag: false,
            endpoint => OpenBodyFromAsync(endpoint, blob, offset, cancellationToken), cancellationToken);

    private async Task<Stream> OpenBodyFromAsync(RegistryEndpoint endpoint, OciDescriptor blob, long offset, CancellationToken cancellationToken)
    {
        var what = $"blob {blob.Digest} of {endpoints.Name}";
        var plan = new RequestPlan(HttpMethod.Get, endpoint.BlobUri(blob.Digest), endpoint.PullScope, what)
        {
            FollowRedirects = true,
            // Closed ranges: some registries answer an open-ended bytes=N- with 416.
            Configure = offset > 0 ? request => request.Headers.Range = new RangeHeaderValue(offset, blob.Size - 1) : null,
        };
        var response = await registry.Sender.SendAsync(endpoint, Reference, plan, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                var (errors, said) = await RegistryResponses.ReadErrorsAsync(response, cancellationToken);
                throw new BlobNotFoundException($"{what} not found (HTTP 404{said})", response.StatusCode, errors);
            }

            await RegistryResponses.EnsureSuccessAsync(response, endpoint, Reference.Registry, Reference.Repository, what, cancellationToken);
            var length = response.Content.Headers.ContentLength;
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset)
                {
                    throw new RegistryException($"{what}: asked for bytes from {offset}, the registry sent range {ResponseExcerpt.Sanitise(range?.ToString(), 80)}",
                        response.StatusCode);
                }

                return ReadOnlyStreamView.Owning(body, response);
            }

            if (length is { } total && total != blob.Size)
            {
                throw new DigestMismatchException(blob.Digest, blob.Size, "(not downloaded)", total, $"{what}: the registry reports a different size");
            }

            if (offset > 0)
            {
                Log.RangeIgnored(registry.Logger, blob.Digest, offset);
                await SkipAsync(body, offset, cancellationToken);
            }

            return ReadOnlyStreamView.Owning(body, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 20)];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException("the registry's full response ended before the resume offset");
            }

            count -= n;
        }
    }
}
