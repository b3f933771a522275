using System.Text.Json;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The HTTP/1.1 JSON API of the dynamic volumes, served on each volume's own unix socket. Every request acts on the
/// volume of the socket its connection came in on (<see cref="DynamicVolumeConnection"/>, set by the listener) and
/// on nothing else: no volume id appears in any URL, so no request can name another volume.
/// </summary>
/// <remarks>
/// Four routes, dispatched by hand: routing and minimal-API endpoints would cost the driver megabytes of code and
/// caches for <c>GET/POST /mounts</c> and <c>GET/DELETE /mounts/{name}</c>.
/// </remarks>
internal static class DynamicVolumeApi
{
    private const string Mounts = "/mounts";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static async Task HandleAsync(HttpContext context)
    {
        // Set by the listener on every connection it accepts; a connection without it never reaches this server.
        var connection = context.Features.Get<DynamicVolumeConnection>()
            ?? throw new InvalidOperationException("a dynamic API connection without its volume");
        // Counted, so that closing the socket (unpublish) waits until no request acts on the volume any more.
        if (!connection.Socket.TryEnterRequest())
        {
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "the volume is being unpublished");
            return;
        }
        try
        {
            await HandleAsync(context, connection.Volume);
        }
        finally
        {
            connection.Socket.ExitRequest();
        }
    }

    private static async Task HandleAsync(HttpContext context, DynamicVolume volume)
    {
        var path = context.Request.Path.Value ?? "";
        // As routing did: a trailing slash and the case of the literal segment do not matter.
        if (path.Length > 1 && path.EndsWith('/'))
        {
            path = path[..^1];
        }
        var method = context.Request.Method;
        try
        {
            if (path.Equals(Mounts, StringComparison.OrdinalIgnoreCase))
            {
                if (HttpMethods.IsGet(method))
                {
                    await JsonAsync(context, StatusCodes.Status200OK, new { mounts = volume.List() });
                }
                else if (HttpMethods.IsPost(method))
                {
                    await AddAsync(context, volume);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                }
                return;
            }
            if (path.StartsWith(Mounts + "/", StringComparison.OrdinalIgnoreCase) && path.IndexOf('/', Mounts.Length + 1) < 0)
            {
                var name = path[(Mounts.Length + 1)..];
                if (HttpMethods.IsGet(method))
                {
                    await JsonAsync(context, StatusCodes.Status200OK, volume.Get(name));
                }
                else if (HttpMethods.IsDelete(method))
                {
                    // Not cut short by the client going away (or by an unpublish dropping the connection): a removal
                    // stopped half-way would forget the mount but keep its bind and its model's lease.
                    await volume.RemoveAsync(name, CancellationToken.None);
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                }
                return;
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        catch (DynamicMountException ex)
        {
            await ErrorAsync(context, ex);
        }
        catch (BadHttpRequestException ex)
        {
            // A body over the limit (413) or cut short.
            await ErrorAsync(context, ex.StatusCode, ex.Message);
        }
    }

    private static async Task AddAsync(HttpContext context, DynamicVolume volume)
    {
        MountRequestBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<MountRequestBody>(context.Request.Body, JsonOptions, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "the body is not valid JSON: " + ex.Message);
            return;
        }
        if (body is null)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "the body must be a JSON object with 'name' and 'reference'");
            return;
        }
        LayerSelection? selection;
        try
        {
            selection = ReadSelection(body.Selection);
        }
        catch (FormatException ex)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid 'selection': " + ex.Message);
            return;
        }
        await JsonAsync(context, StatusCodes.Status202Accepted, volume.Add(body.Name, body.Reference, selection));
    }

    /// <summary>
    /// A selection object uses the volume attribute keys (<c>includePatterns</c>, <c>excludePatterns</c>,
    /// <c>excludeWeights</c>), with JSON arrays, comma lists or booleans as values.
    /// </summary>
    private static LayerSelection? ReadSelection(JsonElement? selection)
    {
        if (selection is not { ValueKind: not JsonValueKind.Null } element)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("must be an object with includePatterns, excludePatterns or excludeWeights");
        }

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            attributes[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => property.Value.GetRawText(),
            };
        }

        return LayerSelection.FromAttributes(attributes)
            ?? throw new FormatException("it selects the whole model; leave it out instead");
    }

    private static Task ErrorAsync(HttpContext context, DynamicMountException ex) => ErrorAsync(
        context,
        ex.Error switch
        {
            DynamicMountError.NotFound => StatusCodes.Status404NotFound,
            DynamicMountError.NameTaken => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        },
        ex.Message);

    private static Task ErrorAsync(HttpContext context, int status, string message) => JsonAsync(context, status, new { error = message });

    private static async Task JsonAsync<T>(HttpContext context, int status, T value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, JsonOptions, context.RequestAborted);
    }
}
