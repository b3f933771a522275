using System.Globalization;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using Xunit.Abstractions;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The driver's resident memory with 30 dynamic volumes, read from /proc/PID/status (VmRSS) of the real driver
/// process. Run it with
/// <c>MODELCSI_MEASURE=1 dotnet test tests/ModelCsi.Driver.Tests --no-build --filter FullyQualifiedName~DynamicVolumeMemoryMeasurement --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class DynamicVolumeMemoryMeasurement(RegistryFixture registry, ITestOutputHelper output) : IClassFixture<RegistryFixture>
{
    private const int Volumes = 30;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [MeasurementFact]
    public async Task Resident_memory_per_dynamic_volume()
    {
        using var sources = new TempDirectory("modelcsi-rss");
        await TestModels.PushAsync(registry.Registry.Host, "rss/warm", "v1", TestModels.WriteDirectory(sources.Combine("warm"), new Dictionary<string, byte[]> { ["w.bin"] = new byte[4096] }));
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        // As the benchmark does, the publish path is warm (ordinary volumes published and unpublished) before the
        // first dynamic volume: what is measured is what dynamic volumes add, not the first publish RPC's code.
        for (var i = 0; i < 20; i++)
        {
            var ordinary = Publish(driver.Scratch, 100 + i);
            ordinary.VolumeContext.Clear();
            ordinary.VolumeContext["model.csi.modelpack.org/reference"] = registry.Registry.Host + "/rss/warm:v1";
            await node.NodePublishVolumeAsync(ordinary, Deadline());
            await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = ordinary.VolumeId, TargetPath = ordinary.TargetPath }, Deadline());
        }
        var statuses = new List<(string, string)>();
        var beforeControl = Rss(driver);
        var controls = new List<NodePublishVolumeRequest>();
        // Control: as many ordinary volumes first, to tell what any publish adds from what a dynamic volume adds.
        for (var i = 0; i < Volumes; i++)
        {
            var ordinary = Publish(driver.Scratch, 200 + i);
            ordinary.VolumeContext.Clear();
            ordinary.VolumeContext["model.csi.modelpack.org/reference"] = registry.Registry.Host + "/rss/warm:v1";
            await node.NodePublishVolumeAsync(ordinary, Deadline());
            controls.Add(ordinary);
        }
        var control = Rss(driver);
        statuses.Add(("control", Status(driver)));


        var idle = control;
        statuses.Add(("warm", Status(driver)));

        var first = Publish(driver.Scratch, 0);
        await node.NodePublishVolumeAsync(first, Deadline());
        var one = Rss(driver);
        statuses.Add(("one", Status(driver)));
        var published = new List<NodePublishVolumeRequest> { first };
        for (var i = 1; i < Volumes; i++)
        {
            var request = Publish(driver.Scratch, i);
            await node.NodePublishVolumeAsync(request, Deadline());
            published.Add(request);
        }
        var all = Rss(driver);
        statuses.Add(("all", Status(driver)));

        // Each socket answers once, as a pod listing its mounts would.
        foreach (var request in published)
        {
            using var socket = new DynamicSocket(Path.Combine(request.TargetPath, "api.sock"));
            Assert.Empty(await socket.ListAsync());
        }
        var served = Rss(driver);
        statuses.Add(("served", Status(driver)));

        output.WriteLine($"driver pid {driver.ProcessId}");
        foreach (var (stage, status) in statuses)
        {
            output.WriteLine($"{stage}: {status}");
        }
        output.WriteLine($"VmRSS warm, no dynamic volume:              {Mib(idle)}");
        output.WriteLine($"VmRSS with 1 dynamic volume:                {Mib(one)}");
        output.WriteLine($"VmRSS with {Volumes} dynamic volumes:               {Mib(all)}");
        output.WriteLine($"VmRSS after one request on each socket:     {Mib(served)}");
        output.WriteLine($"per volume, {Volumes} from idle (the bench's figure): {Mib((all - idle) / (double)Volumes)}");
        output.WriteLine($"per volume after the first (marginal):      {Mib((all - one) / (double)(Volumes - 1))}");
        output.WriteLine($"per volume, {Volumes} served once, from idle:     {Mib((served - idle) / (double)Volumes)}");
        output.WriteLine($"control: per ordinary volume, published before: {Mib((control - beforeControl) / (double)Volumes)}");

        foreach (var request in published.Concat(controls))
        {
            await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline());
        }
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow + Patience);

    private static NodePublishVolumeRequest Publish(ScratchDirectory scratch, int index) => new()
    {
        VolumeId = "csi-rss-" + index.ToString(CultureInfo.InvariantCulture),
        TargetPath = scratch.Combine("v" + index.ToString(CultureInfo.InvariantCulture), "mnt"),
        VolumeCapability = new VolumeCapability
        {
            Mount = new VolumeCapability.Types.MountVolume(),
            AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeReaderOnly },
        },
        VolumeContext = { ["mode"] = "dynamic", ["csi.storage.k8s.io/pod.name"] = "pod-" + index.ToString(CultureInfo.InvariantCulture), ["csi.storage.k8s.io/pod.namespace"] = "ml" },
    };

    private static long Rss(DriverProcess driver)
    {
        var line = File.ReadLines($"/proc/{driver.ProcessId}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Where the resident memory is: anonymous (heaps, stacks) or file pages (code), and the thread count.</summary>
    private static string Status(DriverProcess driver) => string.Join(", ", File.ReadLines($"/proc/{driver.ProcessId}/status")
        .Where(l => l.StartsWith("RssAnon:", StringComparison.Ordinal) || l.StartsWith("RssFile:", StringComparison.Ordinal) || l.StartsWith("Threads:", StringComparison.Ordinal))
        .Select(l => string.Join(' ', l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))));

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0.000", CultureInfo.InvariantCulture) + " MiB";
}
