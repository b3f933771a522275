using System.Net;
using System.Text.Json;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Dynamic volumes over the real driver process, a real registry and real mounts: the pod's socket (reached
/// through the volume's target path, as the pod would) mounts, lists and unmounts models in its own volume only.
/// </summary>
public sealed class DynamicVolumeTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    private static NodePublishVolumeRequest DynamicPublish(ScratchDirectory scratch, string name) => new()
    {
        VolumeId = "csi-dyn-" + name,
        // Short: a unix socket path must fit in 108 bytes, and the test reaches the socket through the target.
        TargetPath = scratch.Combine(name, "mnt"),
        VolumeCapability = new VolumeCapability
        {
            Mount = new VolumeCapability.Types.MountVolume(),
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeReaderOnly },
        },
        VolumeContext = { ["mode"] = "dynamic", ["csi.storage.k8s.io/pod.name"] = "pod-" + name, ["csi.storage.k8s.io/pod.namespace"] = "ml" },
    };

    private async Task<(string Reference, Dictionary<string, byte[]> Files)> PushModelAsync(TempDirectory sources, string repository, int seed)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(300_000, seed),
            ["config.json"] = "{\"seed\":"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(seed + "}")).ToArray(),
        };
        await TestModels.PushAsync(registry.Registry.Host, repository, "v1", TestModels.WriteDirectory(sources.Combine(repository.Replace('/', '-')), files));
        return ($"{registry.Registry.Host}/{repository}:v1", files);
    }

    private static IReadOnlyList<MountInfoEntry> MountsUnder(string path) =>
        MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo"))
            .Where(m => m.MountPoint.StartsWith(path + "/", StringComparison.Ordinal))
            .ToList();

    private static async Task AssertFilesAsync(string directory, Dictionary<string, byte[]> files)
    {
        foreach (var (relative, content) in files)
        {
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(directory, relative)));
        }
    }

    [Fact]
    public async Task Two_dynamic_volumes_side_by_side_cannot_see_or_change_each_others_mounts()
    {
        using var sources = new TempDirectory("modelcsi-dynamic");
        var (reference, files) = await PushModelAsync(sources, "dynamic/iso", 51);
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var a = DynamicPublish(driver.Scratch, "a");
        var b = DynamicPublish(driver.Scratch, "b");
        await node.NodePublishVolumeAsync(a, Deadline);
        await node.NodePublishVolumeAsync(b, Deadline);
        using var socketA = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock"));
        using var socketB = new DynamicSocket(Path.Combine(b.TargetPath, "api.sock"));

        using (var accepted = await socketA.MountAsync("llm", reference))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        var ready = await socketA.WaitSettledAsync("llm", Patience);
        Assert.Equal("ready", ready.GetProperty("state").GetString());
        Assert.StartsWith("sha256:", ready.GetProperty("manifestDigest").GetString(), StringComparison.Ordinal);

        // The mount was made under the volume's own directory; it shows under the pod's target by propagation.
        await AssertFilesAsync(Path.Combine(a.TargetPath, "models", "llm"), files);
        Assert.False(Directory.Exists(Path.Combine(b.TargetPath, "models", "llm")));
        var write = Record.Exception(() => File.WriteAllText(Path.Combine(a.TargetPath, "models", "llm", "config.json"), "changed"));
        Assert.NotNull(write);
        // The propagated copy keeps the read-only flag of the mount it copies (per-mount flags do not propagate on a remount).
        Assert.True(MountsUnder(a.TargetPath).Single(m => m.MountPoint == Path.Combine(a.TargetPath, "models", "llm")).IsReadOnly);
        Assert.Empty(MountsUnder(b.TargetPath));

        Assert.Empty(await socketB.ListAsync());
        using (var notFound = await socketB.GetAsync("llm"))
        {
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        }
        using (var notDeleted = await socketB.DeleteAsync("llm"))
        {
            Assert.Equal(HttpStatusCode.NotFound, notDeleted.StatusCode);
        }
        // B may use the same name for its own mount; A's is untouched by it.
        using (var own = await socketB.MountAsync("llm", reference))
        {
            Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        }
        Assert.Equal("ready", (await socketB.WaitSettledAsync("llm", Patience)).GetProperty("state").GetString());
        using (var deleted = await socketB.DeleteAsync("llm"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.False(Directory.Exists(Path.Combine(b.TargetPath, "models", "llm")));
        Assert.Equal([("llm", "ready")], await socketA.ListAsync());
        await AssertFilesAsync(Path.Combine(a.TargetPath, "models", "llm"), files);

        using (var removed = await socketA.DeleteAsync("llm"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        Assert.False(Directory.Exists(Path.Combine(a.TargetPath, "models", "llm")));
        Assert.Empty(await socketA.ListAsync());

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = b.VolumeId, TargetPath = b.TargetPath }, Deadline);
        Assert.False(Directory.Exists(a.TargetPath));
        Assert.False(Directory.Exists(b.TargetPath));
        // With the last dynamic volume gone, the private staging root's self-bind goes too: no mount is left behind.
        Assert.Empty(MountsUnder(driver.Scratch.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(driver.RootDir, "dynamic")));
    }

    [Fact]
    public async Task A_killed_and_restarted_driver_keeps_dynamic_mounts_and_answers_on_the_socket_again()
    {
        using var sources = new TempDirectory("modelcsi-dynamic");
        var (reference, files) = await PushModelAsync(sources, "dynamic/restart", 52);
        var (otherReference, otherFiles) = await PushModelAsync(sources, "dynamic/restart-other", 53);
        using var scratch = new ScratchDirectory();
        var a = DynamicPublish(scratch, "a");
        var first = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(a, Deadline);
        using (var socket = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock")))
        {
            (await socket.MountAsync("kept", reference)).Dispose();
            Assert.Equal("ready", (await socket.WaitSettledAsync("kept", Patience)).GetProperty("state").GetString());
        }
        first.KillHard();
        await first.WaitForExitAsync();

        await using var second = await DriverProcess.StartAsync(scratch);
        // Kubelet retrying the publish after the restart finds the volume in place.
        await new Node.NodeClient(second.Channel).NodePublishVolumeAsync(a, Deadline);
        using var again = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock"));
        var listed = await Eventually.ValueAsync(() => TryList(again), list => list is not null, Patience);
        Assert.Equal([("kept", "ready")], listed);
        await AssertFilesAsync(Path.Combine(a.TargetPath, "models", "kept"), files);

        (await again.MountAsync("added", otherReference)).Dispose();
        Assert.Equal("ready", (await again.WaitSettledAsync("added", Patience)).GetProperty("state").GetString());
        await AssertFilesAsync(Path.Combine(a.TargetPath, "models", "added"), otherFiles);
        using (var removed = await again.DeleteAsync("kept"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        Assert.False(Directory.Exists(Path.Combine(a.TargetPath, "models", "kept")));
        Assert.Equal([("added", "ready")], await again.ListAsync());

        await new Node.NodeClient(second.Channel).NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
        Assert.False(Directory.Exists(a.TargetPath));
        // The staging self-bind made by the first driver is released by the second once its last volume is gone.
        Assert.Empty(MountsUnder(scratch.Path));
    }

    [Fact]
    public async Task A_pull_cut_short_by_a_driver_kill_is_started_again_after_the_restart()
    {
        using var sources = new TempDirectory("modelcsi-dynamic");
        var (reference, files) = await PushModelAsync(sources, "dynamic/slow", 54);
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        var slowReference = reference.Replace(registry.Registry.Host, proxy.Host, StringComparison.Ordinal);
        // Slow enough that the kill lands in the middle of the download.
        proxy.BytesPerSecond = 20_000;
        using var scratch = new ScratchDirectory();
        var a = DynamicPublish(scratch, "a");
        var first = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(first.Channel).NodePublishVolumeAsync(a, Deadline);
        using (var socket = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock")))
        {
            (await socket.MountAsync("slow", slowReference)).Dispose();
            // Progress: the total is known once the pull has resolved the manifest.
            var started = await Eventually.ValueAsync(
                () => socket.WaitSettledAsync("slow", TimeSpan.Zero).GetAwaiter().GetResult(),
                m => m.GetProperty("bytesTotal").ValueKind == JsonValueKind.Number,
                Patience);
            Assert.Equal("pulling", started.GetProperty("state").GetString());
            Assert.True(started.GetProperty("bytesTotal").GetInt64() >= 300_000);
        }
        first.KillHard();
        await first.WaitForExitAsync();
        Assert.False(Directory.Exists(Path.Combine(a.TargetPath, "models", "slow")));

        proxy.BytesPerSecond = 0;
        await using var second = await DriverProcess.StartAsync(scratch);
        using var again = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock"));
        await Eventually.ValueAsync(() => TryList(again), list => list is not null, Patience);
        Assert.Equal("ready", (await again.WaitSettledAsync("slow", Patience)).GetProperty("state").GetString());
        await AssertFilesAsync(Path.Combine(a.TargetPath, "models", "slow"), files);

        await new Node.NodeClient(second.Channel).NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
        Assert.False(Directory.Exists(a.TargetPath));
    }

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

    [Theory]
    [InlineData("llama-3.1_8B", HttpStatusCode.Accepted)]
    [InlineData("a", HttpStatusCode.Accepted)]
    [InlineData("", HttpStatusCode.BadRequest)]
    [InlineData(".", HttpStatusCode.BadRequest)]
    [InlineData("..", HttpStatusCode.BadRequest)]
    [InlineData("a/b", HttpStatusCode.BadRequest)]
    [InlineData("has space", HttpStatusCode.BadRequest)]
    [InlineData("ünïcode", HttpStatusCode.BadRequest)]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyz", HttpStatusCode.Accepted)]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyz4", HttpStatusCode.BadRequest)]
    public async Task Mount_names_are_validated(string name, HttpStatusCode expected)
    {
        await using var driver = await DriverProcess.StartAsync();
        var a = DynamicPublish(driver.Scratch, "a");
        await new Node.NodeClient(driver.Channel).NodePublishVolumeAsync(a, Deadline);
        using var socket = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock"));

        // The reference is never pulled successfully: only the name decides the answer.
        using var response = await socket.MountAsync(name, registry.Registry.Host + "/dynamic/absent:v1");

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Contains("invalid name", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Empty(await socket.ListAsync());
        }
        await new Node.NodeClient(driver.Channel).NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors_and_a_failed_pull_says_why()
    {
        await using var driver = await DriverProcess.StartAsync();
        var a = DynamicPublish(driver.Scratch, "a");
        await new Node.NodeClient(driver.Channel).NodePublishVolumeAsync(a, Deadline);
        using var socket = new DynamicSocket(Path.Combine(a.TargetPath, "api.sock"));

        using (var badJson = await socket.PostRawAsync("{not json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
            Assert.Contains("not valid JSON", await badJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var noReference = await socket.PostRawAsync("{\"name\":\"m\"}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReference.StatusCode);
            Assert.Contains("reference", await noReference.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var selection = await socket.PostRawAsync("{\"name\":\"m\",\"reference\":\"r.example/m:v1\",\"selection\":{\"patterns\":[\"*.json\"]}}"))
        {
            // An object with no selection key would select everything: refused rather than silently ignored.
            Assert.Equal(HttpStatusCode.BadRequest, selection.StatusCode);
            Assert.Contains("selection", await selection.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var unknown = await socket.GetAsync("nothing"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var absent = registry.Registry.Host + "/dynamic/absent:v1";
        (await socket.MountAsync("m", absent)).Dispose();
        using (var duplicate = await socket.MountAsync("m", absent))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        }
        var failed = await socket.WaitSettledAsync("m", Patience);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.String, failed.GetProperty("error").ValueKind);
        Assert.False(Directory.Exists(Path.Combine(a.TargetPath, "models", "m")));

        using (var removed = await socket.DeleteAsync("m"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        await new Node.NodeClient(driver.Channel).NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = a.VolumeId, TargetPath = a.TargetPath }, Deadline);
    }

    [Fact]
    public async Task A_dynamic_mount_with_a_selection_shows_only_the_selected_files()
    {
        using var sources = new TempDirectory("modelcsi-dynamic-sel");
        var (reference, files) = await PushModelAsync(sources, "dynamic/sel", 61);
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        var volume = DynamicPublish(driver.Scratch, "s");
        await node.NodePublishVolumeAsync(volume, Deadline);
        using var socket = new DynamicSocket(Path.Combine(volume.TargetPath, "api.sock"));

        using (var accepted = await socket.PostRawAsync($"{{\"name\":\"cfg\",\"reference\":\"{reference}\",\"selection\":{{\"excludeWeights\":true}}}}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var ready = await socket.WaitSettledAsync("cfg", Patience);
        Assert.Equal("ready", ready.GetProperty("state").GetString());
        var mounted = Path.Combine(volume.TargetPath, "models", "cfg");
        Assert.Equal(files["config.json"], await File.ReadAllBytesAsync(Path.Combine(mounted, "config.json")));
        Assert.False(File.Exists(Path.Combine(mounted, "model.safetensors")));
        using (var invalid = await socket.PostRawAsync($"{{\"name\":\"bad\",\"reference\":\"{reference}\",\"selection\":{{\"excludePatterns\":\"/abs\"}}}}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Contains("/abs", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var removed = await socket.DeleteAsync("cfg"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = volume.VolumeId, TargetPath = volume.TargetPath }, Deadline);
    }
}
