using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ModelCsi.Core.Oci;

/// <summary>The OCI 1.1 referrers API of one repository (<c>GET /v2/&lt;repo&gt;/referrers/&lt;digest&gt;</c>), asked at the origin only.</summary>
internal sealed class ReferrersStore(RegistryClient registry, RepositoryEndpoints endpoints)
{
    private OciReference Reference => endpoints.Reference;

    /// <summary>
    /// The manifests that refer to <paramref name="digest"/>, or null when the registry does not offer the API:
    /// older registries (docker-registry 2.8) answer 404, some 400 or 405. Mirrors are not asked: their view of
    /// referrers can lag, and a signature check must see the publisher's.
    /// </summary>
    public async Task<OciIndex?> GetAsync(string digest, CancellationToken cancellationToken)
    {
        if (!Digest.IsValidSha256(digest))
        {
            throw new ArgumentException($"'{ResponseExcerpt.Sanitise(digest, 80)}' is not a sha256 digest", nameof(digest));
        }

        var origin = endpoints.Origin;
        var what = $"referrers of {endpoints.Name}@{digest}";
        var plan = new RequestPlan(HttpMethod.Get, new Uri(origin.BaseUri, $"v2/{origin.RepositoryPath}/referrers/{digest}"), origin.PullScope, what)
        {
            Configure = request => request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.ImageIndex)),
        };
        using var response = await registry.Sender.SendAsync(origin, Reference, plan, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed)
        {
            return null;
        }

        await RegistryResponses.EnsureSuccessAsync(response, origin, Reference.Registry, Reference.Repository, what, cancellationToken);
        var content = await RegistryResponses.ReadLimitedAsync(response, registry.Options.MaxManifestBytes, what, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize<OciIndex>(content)
                ?? throw new RegistryException($"{what}: the registry answered an empty document", response.StatusCode);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{what} is not an OCI index: {e.Message}", response.StatusCode, innerException: e);
        }
    }
}
