using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ModelCsi.Core.Oci;

public sealed partial class RepositoryClient
{
    /// <summary>
    /// Lists the manifests that refer to <paramref name="digest"/> through the OCI 1.1 referrers API
    /// (<c>GET /v2/&lt;repo&gt;/referrers/&lt;digest&gt;</c>). Returns null when the registry does not offer the
    /// API: older registries (docker-registry 2.8) answer 404, some 400 or 405. Asks the origin only:
    /// a mirror's view of referrers can lag and a signature check must see the publisher's.
    /// </summary>
    public async Task<OciIndex?> GetReferrersAsync(string digest, CancellationToken cancellationToken = default)
    {
        if (!Digest.IsValidSha256(digest))
        {
            throw new ArgumentException($"'{digest}' is not a sha256 digest", nameof(digest));
        }

        var what = $"referrers of {Name}@{digest}";
        var plan = new RequestPlan(HttpMethod.Get, new Uri(_baseUri, $"v2/{_repositoryPath}/referrers/{digest}"), _pullScope, what)
        {
            Configure = request => request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.ImageIndex)),
        };
        using var response = await SendAsync(plan, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed)
        {
            return null;
        }

        await EnsureSuccessAsync(response, what, cancellationToken);
        var content = await ReadLimitedAsync(response, Options.MaxManifestBytes, what, cancellationToken);
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
