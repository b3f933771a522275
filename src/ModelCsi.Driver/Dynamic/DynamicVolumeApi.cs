using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The HTTP/1.1 JSON API of one dynamic volume on its own unix socket: a Kestrel host per volume that holds only
/// that volume, so no request can reach another volume's mounts. No volume id appears in any URL.
/// </summary>
internal sealed class DynamicVolumeApi : IAsyncDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;

    private DynamicVolumeApi(WebApplication app)
    {
        _app = app;
    }

    public static async Task<DynamicVolumeApi> StartAsync(DynamicVolume volume, CancellationToken cancellationToken = default)
    {
        var socket = volume.Layout.Socket;
        // A socket file left by a killed driver would make the bind fail with EADDRINUSE.
        File.Delete(socket);
        // The empty builder: no configuration files (no file watchers per volume), no logging providers, no signal hooks.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.ListenUnixSocket(socket, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, DetachedHostLifetime>();
        var app = builder.Build();
        Map(app, volume);
        await app.StartAsync(cancellationToken);
        // Any process of the pod may use its volume's socket, whatever user it runs as.
        File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        return new DynamicVolumeApi(app);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    private static void Map(WebApplication app, DynamicVolume volume)
    {
        app.MapGet("/mounts", () => Results.Json(new { mounts = volume.List() }, JsonOptions));
        app.MapGet("/mounts/{name}", (string name) => Answer(() => Results.Json(volume.Get(name), JsonOptions)));
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
            return Answer(() => Results.Json(volume.Add(body.Name, body.Reference, selection), JsonOptions, statusCode: StatusCodes.Status202Accepted));
        });
        app.MapDelete("/mounts/{name}", async (string name, CancellationToken cancellationToken) =>
        {
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
