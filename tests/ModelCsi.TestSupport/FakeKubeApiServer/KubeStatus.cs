using System.Text.Json.Nodes;

namespace ModelCsi.TestSupport;

/// <summary>A <c>meta/v1 Status</c> body, as the API server answers failures (and sends in watch ERROR events).</summary>
internal static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };
}
