using System.Net;
using System.Net.Sockets;
using System.Text;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Every dynamic volume's socket is served by one server in the driver: what a pod reaches through its socket is
/// still its own volume only, an unpublished volume's socket goes away on its own, and a restart serves them all again.
/// </summary>
public sealed class DynamicVolumeServerTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    private static NodePublishVolumeRequest DynamicPublish(ScratchDirectory scratch, string name) => new()
    {
        VolumeId = "csi-srv-" + name,
        // Short: a unix socket path must fit in 108 bytes, and the test reaches the socket through the target.
        TargetPath = scratch.Combine(name, "mnt"),
        VolumeCapability = new VolumeCapability
        {
            Mount = new VolumeCapability.Types.MountVolume(),
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeReaderOnly },
        },
        VolumeContext = { ["mode"] = "dynamic", ["csi.storage.k8s.io/pod.name"] = "pod-" + name, ["csi.storage.k8s.io/pod.namespace"] = "ml" },
    };

    private static NodeUnpublishVolumeRequest Unpublish(NodePublishVolumeRequest publish) => new() { VolumeId = publish.VolumeId, TargetPath = publish.TargetPath };

    private static string SocketOf(NodePublishVolumeRequest publish) => Path.Combine(publish.TargetPath, "api.sock");

    /// <summary>A reference the registry answers quickly with "not found": the mount is recorded, its pull fails.</summary>
    private string MissingModel(string name) => $"{registry.Registry.Host}/server-tests/{name}:absent";

    [Fact]
    public async Task A_request_on_one_volumes_socket_naming_another_volumes_mount_finds_nothing()
    {
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var volumes = new[] { "a", "b", "c" }.Select(n => DynamicPublish(driver.Scratch, n)).ToList();
        foreach (var volume in volumes)
        {
            await node.NodePublishVolumeAsync(volume, Deadline);
        }
        var sockets = volumes.Select(v => new DynamicSocket(SocketOf(v))).ToList();
        try
        {
            for (var i = 0; i < sockets.Count; i++)
            {
                using var accepted = await sockets[i].MountAsync("only-" + volumes[i].VolumeId, MissingModel("m" + i));
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            for (var i = 0; i < sockets.Count; i++)
            {
                Assert.Equal(["only-" + volumes[i].VolumeId], (await sockets[i].ListAsync()).Select(m => m.Name));
                foreach (var other in volumes.Where((_, j) => j != i))
                {
                    using var notFound = await sockets[i].GetAsync("only-" + other.VolumeId);
                    Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
                    using var notDeleted = await sockets[i].DeleteAsync("only-" + other.VolumeId);
                    Assert.Equal(HttpStatusCode.NotFound, notDeleted.StatusCode);
                }
            }
            // The failed deletes above changed nothing anywhere.
            for (var i = 0; i < sockets.Count; i++)
            {
                Assert.Equal(["only-" + volumes[i].VolumeId], (await sockets[i].ListAsync()).Select(m => m.Name));
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        foreach (var volume in volumes)
        {
            await node.NodeUnpublishVolumeAsync(Unpublish(volume), Deadline);
        }
    }

    [Fact]
    public async Task Unpublishing_one_volume_closes_its_socket_and_drops_its_open_connections_while_the_other_keeps_serving()
    {
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var a = DynamicPublish(driver.Scratch, "a");
        var b = DynamicPublish(driver.Scratch, "b");
        await node.NodePublishVolumeAsync(a, Deadline);
        await node.NodePublishVolumeAsync(b, Deadline);
        Assert.Equal(2, HostSockets(driver).Count);
        using var socketB = new DynamicSocket(SocketOf(b));
        (await socketB.MountAsync("kept", MissingModel("kept"))).Dispose();

        // A connection kept open on A's socket, known to be served (it has had its answer), and one on B's.
        using var openOnA = await KeepAliveConnection.OpenAsync(SocketOf(a));
        Assert.StartsWith("HTTP/1.1 200", await openOnA.RequestAsync("GET /mounts"), StringComparison.Ordinal);
        using var openOnB = await KeepAliveConnection.OpenAsync(SocketOf(b));
        Assert.StartsWith("HTTP/1.1 200", await openOnB.RequestAsync("GET /mounts"), StringComparison.Ordinal);

        await node.NodeUnpublishVolumeAsync(Unpublish(a), Deadline);

        Assert.True(await openOnA.ClosedByServerAsync(Patience), "the connection open on the unpublished volume's socket was not closed");
        Assert.Single(HostSockets(driver));
        Assert.False(Directory.Exists(a.TargetPath));
        // B: its open connection and new ones are served as before.
        var answer = await openOnB.RequestAsync("GET /mounts");
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Contains("\"kept\"", answer, StringComparison.Ordinal);
        Assert.Equal(["kept"], (await socketB.ListAsync()).Select(m => m.Name));

        await node.NodeUnpublishVolumeAsync(Unpublish(b), Deadline);
        Assert.True(await openOnB.ClosedByServerAsync(Patience), "the connection open on the last volume's socket was not closed");
    }

    [Fact]
    public async Task A_request_body_over_64_KiB_is_refused_and_changes_nothing()
    {
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var a = DynamicPublish(driver.Scratch, "a");
        await node.NodePublishVolumeAsync(a, Deadline);
        using var socket = new DynamicSocket(SocketOf(a));

        var padding = new string(' ', 65 * 1024);
        using (var refused = await socket.PostRawAsync("{\"name\":\"big\",\"reference\":\"" + MissingModel("big") + "\"" + padding + "}"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        }
        Assert.Empty(await socket.ListAsync());
        // Just under the limit is an ordinary request.
        using (var accepted = await socket.PostRawAsync("{\"name\":\"small\",\"reference\":\"" + MissingModel("small") + "\"" + padding[..(60 * 1024)] + "}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        Assert.Equal(["small"], (await socket.ListAsync()).Select(m => m.Name));

        await node.NodeUnpublishVolumeAsync(Unpublish(a), Deadline);
    }

    [Fact]
    public async Task After_a_driver_restart_every_dynamic_volumes_socket_serves_its_own_mounts_again()
    {
        using var scratch = new ScratchDirectory();
        var volumes = new[] { "a", "b", "c", "d" }.Select(n => DynamicPublish(scratch, n)).ToList();
        var first = await DriverProcess.StartAsync(scratch);
        foreach (var volume in volumes)
        {
            await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(volume, Deadline);
            using var socket = new DynamicSocket(SocketOf(volume));
            (await socket.MountAsync("of-" + volume.VolumeId, MissingModel(volume.VolumeId))).Dispose();
        }
        first.KillHard();
        await first.WaitForExitAsync();

        // No publish is retried: the driver takes the volumes up from its records at start.
        await using var second = await DriverProcess.StartAsync(scratch);
        foreach (var volume in volumes)
        {
            using var socket = new DynamicSocket(SocketOf(volume));
            var listed = await Eventually.ValueAsync(() => TryList(socket), list => list is not null, Patience);
            Assert.Equal(["of-" + volume.VolumeId], listed!.Select(m => m.Name));
        }

        var node = new Node.NodeClient(second.Channel);
        foreach (var volume in volumes)
        {
            await node.NodeUnpublishVolumeAsync(Unpublish(volume), Deadline);
            Assert.False(Directory.Exists(volume.TargetPath));
        }
    }

    [Fact]
    public async Task A_second_driver_on_the_same_root_leaves_the_first_drivers_live_dynamic_sockets_alone()
    {
        using var scratch = new ScratchDirectory();
        var a = DynamicPublish(scratch, "a");
        await using var first = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(a, Deadline);
        using var socket = new DynamicSocket(SocketOf(a));
        (await socket.MountAsync("mine", MissingModel("mine"))).Dispose();

        // Its own CSI socket, so it starts; the root (and so the dynamic volumes' records) is the first driver's.
        var second = DriverProcess.Launch(scratch, scratch.Combine("other", "csi.sock"));
        try
        {
            await second.WaitUntilServingAsync();
            await Eventually.ValueAsync(() => second.Output, output => output.Contains("served by another running process", StringComparison.Ordinal), Patience);
        }
        finally
        {
            // Not disposed: that would delete the scratch directory the first driver still uses.
            second.KillHard();
            await second.WaitForExitAsync();
        }

        Assert.Equal(["mine"], (await socket.ListAsync()).Select(m => m.Name));
        await new Node.NodeClient(first.Channel).NodeUnpublishVolumeAsync(Unpublish(a), Deadline);
    }

    /// <summary>The sockets in the driver's own directory (the pods see each through a bind at their target).</summary>
    private static List<string> HostSockets(DriverProcess driver) =>
        Directory.EnumerateFiles(Path.Combine(driver.RootDir, "dynamic"), "api.sock", SearchOption.AllDirectories).ToList();

    private static IReadOnlyList<(string Name, string State)>? TryList(DynamicSocket socket)
    {
        try
        {
            return socket.ListAsync().GetAwaiter().GetResult();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>One raw HTTP/1.1 connection kept open between requests, to see whether the server drops it.</summary>
    private sealed class KeepAliveConnection : IDisposable
    {
        private readonly Socket _socket;

        private KeepAliveConnection(Socket socket)
        {
            _socket = socket;
        }

        public static async Task<KeepAliveConnection> OpenAsync(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return new KeepAliveConnection(socket);
        }

        /// <summary>Sends a request line and reads the whole answer (the API's answers are chunked or sized).</summary>
        public async Task<string> RequestAsync(string requestLine)
        {
            using var timeout = new CancellationTokenSource(Patience);
            await _socket.SendAsync(Encoding.ASCII.GetBytes(requestLine + " HTTP/1.1\r\nHost: localhost\r\n\r\n"), timeout.Token);
            var answer = new StringBuilder();
            var buffer = new byte[4096];
            while (!IsComplete(answer.ToString()))
            {
                var read = await _socket.ReceiveAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    throw new IOException("the server closed the connection mid-answer: " + answer);
                }
                answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
            return answer.ToString();
        }

        /// <summary>True once a read sees the end of the stream (or a reset), without sending anything.</summary>
        public async Task<bool> ClosedByServerAsync(TimeSpan patience)
        {
            using var timeout = new CancellationTokenSource(patience);
            var buffer = new byte[256];
            try
            {
                while (await _socket.ReceiveAsync(buffer, timeout.Token) > 0)
                {
                }
                return true;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose() => _socket.Dispose();

        private static bool IsComplete(string answer)
        {
            var headersEnd = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headersEnd < 0)
            {
                return false;
            }
            var headers = answer[..headersEnd];
            if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
            {
                return answer.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
            }
            var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetByteCount(answer[(headersEnd + 4)..]) >= length;
        }
    }
}
