using System.Text.Json;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The HTTP/1.1 JSON API of the dynamic volumes, served on each volume's own unix socket. Every handler acts on the
/// volume of the socket its connection came in on (<see cref="DynamicVolumeConnection"/>, set by the listener) and
/// on nothing else: no volume id appears in any URL, so no request can name another volume.
/// </summary>
internal static class DynamicVolumeApi
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/mounts", (HttpContext context) => OnVolume(context, volume => Results.Json(new { mounts = volume.List() }, JsonOptions)));
        app.MapGet("/mounts/{name}", (HttpContext context, string name) => OnVolume(context, volume => Results.Json(volume.Get(name), JsonOptions)));
        app.MapPost("/mounts", async (HttpContext context) =>
        {
            MountRequestBody? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<MountRequestBody>(context.Request.Body, JsonOptions, context.RequestAborted);
            }
            catch (JsonException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "the body is not valid JSON: " + ex.Message);
            }
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "the body must be a JSON object with 'name' and 'reference'");
            }
            LayerSelection? selection;
            try
            {
                selection = ReadSelection(body.Selection);
            }
            catch (FormatException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "invalid 'selection': " + ex.Message);
            }
            return OnVolume(context, volume => Results.Json(volume.Add(body.Name, body.Reference, selection), JsonOptions, statusCode: StatusCodes.Status202Accepted));
        });
        app.MapDelete("/mounts/{name}", async (HttpContext context, string name, CancellationToken cancellationToken) =>
        {
            if (VolumeOf(context) is not { } volume)
            {
                return Gone();
            }
            try
            {
                await volume.RemoveAsync(name, cancellationToken);
                return Results.NoContent();
            }
            catch (DynamicMountException ex)
            {
                return Error(ex);
            }
        });
    }

    /// <summary>The volume of the connection's socket; null once that socket is closed (the volume is being unpublished).</summary>
    private static DynamicVolume? VolumeOf(HttpContext context)
    {
        // Set by the listener on every connection it accepts; a connection without it never reaches this server.
        var connection = context.Features.Get<DynamicVolumeConnection>()
            ?? throw new InvalidOperationException("a dynamic API connection without its volume");
        return connection.Socket.IsClosed ? null : connection.Volume;
    }

    private static IResult OnVolume(HttpContext context, Func<DynamicVolume, IResult> action) =>
        VolumeOf(context) is { } volume ? Answer(() => action(volume)) : Gone();

    private static IResult Gone() => Error(StatusCodes.Status503ServiceUnavailable, "the volume is being unpublished");

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

    private static IResult Answer(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (DynamicMountException ex)
        {
            return Error(ex);
        }
    }

    private static IResult Error(DynamicMountException ex) => Error(
        ex.Error switch
        {
            DynamicMountError.NotFound => StatusCodes.Status404NotFound,
            DynamicMountError.NameTaken => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        },
        ex.Message);

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, JsonOptions, statusCode: status);
}
