using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>An HTTP/1.1 client on a dynamic volume's socket, reached the way a pod reaches it: through the volume's target path.</summary>
public sealed class DynamicSocket : IDisposable
{
    private readonly HttpClient _client;

    public DynamicSocket(string socketPath)
    {
        SocketPath = socketPath;
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
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string SocketPath { get; }

    public Task<HttpResponseMessage> MountAsync(string name, string reference) =>
        _client.PostAsJsonAsync("/mounts", new { name, reference });

    public Task<HttpResponseMessage> PostRawAsync(string body) =>
        _client.PostAsync("/mounts", new StringContent(body, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> GetAsync(string name) => _client.GetAsync("/mounts/" + Uri.EscapeDataString(name));

    public Task<HttpResponseMessage> DeleteAsync(string name) => _client.DeleteAsync("/mounts/" + Uri.EscapeDataString(name));

    /// <summary>GET /mounts as (name, state) pairs.</summary>
    public async Task<IReadOnlyList<(string Name, string State)>> ListAsync()
    {
        using var document = JsonDocument.Parse(await _client.GetStringAsync("/mounts"));
        return document.RootElement.GetProperty("mounts").EnumerateArray()
            .Select(m => (m.GetProperty("name").GetString()!, m.GetProperty("state").GetString()!))
            .ToList();
    }

    /// <summary>Polls GET /mounts/{name} until its state is no longer pulling; returns the final JSON.</summary>
    public async Task<JsonElement> WaitSettledAsync(string name, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            using var response = await GetAsync(name);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"GET /mounts/{name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            var mount = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (mount.GetProperty("state").GetString() != "pulling" || DateTime.UtcNow >= deadline)
            {
                return mount;
            }
            await Task.Delay(50);
        }
    }

    public void Dispose() => _client.Dispose();
}
