using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ModelCsi.TestSupport;

/// <summary>
/// Serves one <c>?watch=true</c> request: a 200 with one JSON event per line, flushed as it happens, until
/// the client goes away or a test cuts the connection (then the connection is aborted, not ended cleanly).
/// A resourceVersion older than the compacted history gets one ERROR event with a 410 Expired Status.
/// </summary>
internal sealed class KubeWatchResponder(KubeObjectStore store)
{
    public async Task RespondAsync(HttpContext context, KubeResourcePath path, (string ApiVersion, string Kind, bool Namespaced) kind)
    {
        var query = context.Request.Query;
        long? since = long.TryParse(query["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed : null;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var watch = store.Watch(path.Resource, path.Namespace, FakeKubeApiServer.FieldSelectorName(context.Request), since, bookmarks);
        if (watch is null)
        {
            var expired = KubeStatus.Failure(410, "Expired", $"too old resource version: {since} ({store.CurrentVersion})");
            await context.Response.WriteAsync(new JsonObject { ["type"] = "ERROR", ["object"] = expired }.ToJsonString() + "\n");
            return;
        }

        try
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (var line in watch.Lines.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            if (watch.Cut)
            {
                context.Abort();
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            store.EndWatch(watch);
        }
    }
}
