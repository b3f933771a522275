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
public sealed class DynamicVolumeMemoryMeasurement(ITestOutputHelper output)
{
    private const int Volumes = 30;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [MeasurementFact]
    public async Task Resident_memory_per_dynamic_volume()
    {
        await using var driver = await DriverProcess.StartAsync();
        var node = new Node.NodeClient(driver.Channel);
        // The first RPC's own cost (gRPC, the node service) is not a dynamic volume's.
        await new Identity.IdentityClient(driver.Channel).ProbeAsync(new ProbeRequest(), new CallOptions(deadline: DateTime.UtcNow + Patience));
        var idle = Rss(driver);

        var first = Publish(driver.Scratch, 0);
        await node.NodePublishVolumeAsync(first, Deadline());
        var one = Rss(driver);
        var published = new List<NodePublishVolumeRequest> { first };
        for (var i = 1; i < Volumes; i++)
        {
            var request = Publish(driver.Scratch, i);
            await node.NodePublishVolumeAsync(request, Deadline());
            published.Add(request);
        }
        var all = Rss(driver);

        // Each socket answers once, as a pod listing its mounts would.
        foreach (var request in published)
        {
            using var socket = new DynamicSocket(Path.Combine(request.TargetPath, "api.sock"));
            Assert.Empty(await socket.ListAsync());
        }
        var served = Rss(driver);

        output.WriteLine($"driver pid {driver.ProcessId}");
        output.WriteLine($"VmRSS idle (no dynamic volume):             {Mib(idle)}");
        output.WriteLine($"VmRSS with 1 dynamic volume:                {Mib(one)}");
        output.WriteLine($"VmRSS with {Volumes} dynamic volumes:               {Mib(all)}");
        output.WriteLine($"VmRSS after one request on each socket:     {Mib(served)}");
        output.WriteLine($"per volume, {Volumes} from idle (the bench's figure): {Mib((all - idle) / (double)Volumes)}");
        output.WriteLine($"per volume after the first (marginal):      {Mib((all - one) / (double)(Volumes - 1))}");
        output.WriteLine($"per volume, {Volumes} served once, from idle:     {Mib((served - idle) / (double)Volumes)}");

        foreach (var request in published)
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

    private static string Mib(double bytes) => (bytes / (1024 * 1024)).ToString("0.000", CultureInfo.InvariantCulture) + " MiB";
}
