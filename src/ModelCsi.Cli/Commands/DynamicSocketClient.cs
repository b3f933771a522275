using System.CommandLine;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// HTTP/1.1 over a dynamic volume's unix socket (<c>modelcsi mount/ls/umount</c>, run inside the pod). The socket
/// belongs to one volume, so no request names a volume.
/// </summary>
public sealed class DynamicSocketClient : IDisposable
{
    public const string SocketVariable = "MODELCSI_SOCKET";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _client;

    public DynamicSocketClient(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw SocketUnreachableException.NotListening(socketPath, e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is never resolved: every connection goes to the socket.
        _client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = TimeSpan.FromMinutes(1) };
    }

    public static Option<string?> CreateSocketOption() => new("--socket")
    {
        Description = $"The dynamic volume's socket, e.g. /models/api.sock (default: ${SocketVariable})",
    };

    /// <summary>The client for the socket given on the command line or in the environment.</summary>
    public static DynamicSocketClient Open(ParseResult parseResult, Option<string?> socketOption, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(console);
        var path = parseResult.GetValue(socketOption);
        if (string.IsNullOrWhiteSpace(path))
        {
            path = console.GetEnvironmentVariable(SocketVariable);
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliUsageException($"no socket: pass --socket PATH (the api.sock in the dynamic volume) or set {SocketVariable}");
        }
        SocketUnreachableException.ThrowIfMissing(path);
        return new DynamicSocketClient(path);
    }

    public async Task<DynamicMount> MountAsync(string name, string reference, IReadOnlyDictionary<string, object>? selection = null, CancellationToken cancellationToken = default)
    {
        object body = selection is null ? new { name, reference } : new { name, reference, selection };
        using var response = await SendAsync(() => _client.PostAsJsonAsync("/mounts", body, JsonOptions, cancellationToken));
        return await ReadAsync<DynamicMount>(response, cancellationToken);
    }

    public async Task<DynamicMount> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => _client.GetAsync("/mounts/" + Uri.EscapeDataString(name), cancellationToken));
        return await ReadAsync<DynamicMount>(response, cancellationToken);
    }

    public async Task<IReadOnlyList<DynamicMount>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => _client.GetAsync("/mounts", cancellationToken));
        return (await ReadAsync<MountList>(response, cancellationToken)).Mounts;
    }

    public async Task UnmountAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => _client.DeleteAsync("/mounts/" + Uri.EscapeDataString(name), cancellationToken));
        await ThrowIfFailedAsync(response, cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Unwraps a socket failure from the HttpRequestException HttpClient wraps it in (which adds "(localhost:80)").</summary>
    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e) when (e is not SocketUnreachableException && SocketUnreachableException.Find(e) is { } unreachable)
        {
            throw unreachable;
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken)
            ?? throw new InvalidOperationException($"the socket answered {(int)response.StatusCode} with an empty body");
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string message;
        try
        {
            using var document = JsonDocument.Parse(body);
            message = document.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            message = body;
        }
        throw new DynamicApiException((int)response.StatusCode, message);
    }

    private sealed record MountList
    {
        public IReadOnlyList<DynamicMount> Mounts { get; init; } = [];
    }
}
