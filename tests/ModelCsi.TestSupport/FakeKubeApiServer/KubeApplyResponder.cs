using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ModelCsi.TestSupport;

/// <summary>
/// Serves a server-side apply PATCH on a status subresource, with the real server's checks: the
/// apply content type, a <c>fieldManager</c>, and a body naming apiVersion, kind and the same object.
/// </summary>
internal sealed class KubeApplyResponder(KubeObjectStore store, Action<string, JsonObject> onApply)
{
    public async Task RespondAsync(HttpContext context, KubeResourcePath path, (string ApiVersion, string Kind, bool Namespaced) kind)
    {
        var request = context.Request;
        if (request.ContentType?.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal) != true)
        {
            await FakeKubeApiServer.WriteAsync(context, 415, KubeStatus.Failure(415, "UnsupportedMediaType", $"only server-side apply is supported here, not {request.ContentType}"));
            return;
        }

        if (path.Subresource != "status")
        {
            await FakeKubeApiServer.WriteAsync(context, 405, KubeStatus.Failure(405, "MethodNotAllowed", "the fake applies to the status subresource only"));
            return;
        }

        var fieldManager = request.Query["fieldManager"].ToString();
        if (fieldManager.Length == 0)
        {
            await FakeKubeApiServer.WriteAsync(context, 400, KubeStatus.Failure(400, "BadRequest", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"));
            return;
        }

        JsonObject? body;
        try
        {
            // JSON is YAML; the client sends its apply configurations as JSON.
            body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        }
        catch (JsonException e)
        {
            await FakeKubeApiServer.WriteAsync(context, 400, KubeStatus.Failure(400, "BadRequest", "the fake accepts JSON apply configurations only: " + e.Message));
            return;
        }

        if (body?["apiVersion"]?.GetValue<string>() != kind.ApiVersion || body["kind"]?.GetValue<string>() != kind.Kind
            || body["metadata"]?["name"]?.GetValue<string>() != path.Name)
        {
            await FakeKubeApiServer.WriteAsync(context, 400, KubeStatus.Failure(400, "BadRequest", "an apply configuration needs apiVersion, kind and metadata.name of the object"));
            return;
        }

        var status = body["status"] as JsonObject ?? [];
        onApply(fieldManager, (JsonObject)status.DeepClone());
        var applied = store.ApplyStatus(path.Resource, path.Namespace ?? "", path.Name!, fieldManager, (JsonObject)status.DeepClone());
        await (applied is null
            ? FakeKubeApiServer.WriteAsync(context, 404, KubeStatus.Failure(404, "NotFound", $"{path.Resource} \"{path.Name}\" not found"))
            : FakeKubeApiServer.WriteAsync(context, 200, applied));
    }
}
