using System.Diagnostics;
using System.Globalization;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.ModelPack;
using ModelCsi.TestSupport;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Benchmarks;

/// <summary>
/// Cold pull + publish of a large model from a local registry against the machine's own limits (curl and
/// sha256sum on the same blobs), warm publish/unpublish latency, and the driver's peak RSS. Prints
/// figures; a missed target still exits 0.
/// </summary>
public sealed class NodeBenchmark(BenchmarkOptions options)
{
    private const string Repository = "bench/model";

    // The driver's default ModelCacheOptions.MaxParallelLayers.
    private const int DriverParallelLayers = 4;

    private static readonly TimeSpan RpcPatience = TimeSpan.FromMinutes(30);

    private readonly List<NodePublishVolumeRequest> _published = [];

    private static CultureInfo Invariant => CultureInfo.InvariantCulture;

    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        using var work = new WorkDirectory(options.Keep);
        RegistryProcess? registry = null;
        DriverUnderTest? driver = null;
        try
        {
            var table = new ResultTable();
            var facts = new List<string>();

            Progress($"writing {options.SizeGib.ToString(Invariant)} GiB in {options.Files} weight files");
            var modelDir = work.Combine("model");
            var weightFiles = await RandomModelWriter.WriteAsync(modelDir, options.Files, options.TotalWeightBytes, cancellationToken);

            registry = await RegistryProcess.StartAsync(cancellationToken: cancellationToken);
            Progress("pushing to a fresh registry (raw layers)");
            var packed = await TestModels.PushAsync(registry.Host, Repository, "v1", modelDir);
            var totalBytes = packed.Manifest.Layers.Sum(l => l.Size);
            var weightBlobs = packed.Manifest.Layers
                .Where(l => l.Size >= options.TotalWeightBytes / options.Files)
                .Select(l => new Uri($"http://{registry.Host}/v2/{Repository}/blobs/{l.Digest}"))
                .ToList();
            var parallel = Math.Min(DriverParallelLayers, packed.Manifest.Layers.Count);
            var cores = Math.Min(parallel, Environment.ProcessorCount);

            var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            facts.Add($"nproc {Environment.ProcessorCount}; load average {load}; temp dir {work.Path} on {await FileSystemTypeAsync(work.Path, cancellationToken)}; "
                      + $"{MemoryFacts()}");
            facts.Add($"model {totalBytes / (double)(1L << 30):F2} GiB ({totalBytes} bytes) in {packed.Manifest.Layers.Count} raw layers "
                      + $"({options.Files} weight files + config.json); driver fetches {parallel} layers at once");

            // Writing the model and the registry's copy left gigabytes of dirty pages; flush them now so their
            // writeback does not compete with the measurements below.
            await ExternalCommand.RunAsync("sync", [], cancellationToken);
            Progress("curl: blobs one after another");
            var curlSequential = await ReferenceRates.CurlSequentialMBpsAsync(weightBlobs, cancellationToken);
            Progress($"curl: {Math.Min(parallel, weightBlobs.Count)} blobs at once");
            var curlParallel = await ReferenceRates.CurlParallelMBpsAsync(weightBlobs.Take(parallel).ToList(), cancellationToken);
            Progress("sha256sum over the weight files");
            var sha = await ReferenceRates.Sha256sumMBpsAsync(weightFiles, cancellationToken);
            var limit = Math.Min(curlParallel, sha * cores);
            Progress("for context: openssl sha256, and curl into files + fsync");
            var openssl = await ReferenceRates.OpensslSha256MBpsAsync(weightFiles, cancellationToken);
            var curlToDisk = await ReferenceRates.CurlToDiskParallelMBpsAsync(weightBlobs.Take(parallel).ToList(), work.Combine("curl"), cancellationToken);

            table.Add("curl blob download, sequential", Rate(curlSequential));
            table.Add($"curl blob download, {Math.Min(parallel, weightBlobs.Count)} in parallel", Rate(curlParallel));
            table.Add("sha256sum, one core", Rate(sha));
            table.Add($"sha256sum x cores used ({cores})", Rate(sha * cores));
            table.Add("limit = min(parallel curl, hashing x cores)", Rate(limit));
            table.Add("(context) openssl sha256, one core", Rate(openssl), "the driver hashes with OpenSSL");
            table.Add($"(context) curl {Math.Min(parallel, weightBlobs.Count)} in parallel to files + fsync", Rate(curlToDisk), "the driver also writes + fsyncs");

            await ExternalCommand.RunAsync("sync", [], cancellationToken);
            Progress("starting the driver");
            driver = await DriverUnderTest.StartAsync(work.Combine("driver"), cancellationToken);
            var client = new Node.NodeClient(driver.Channel);
            var tagReference = $"{registry.Host}/{Repository}:v1";

            var idle = ProcessMemorySampler.Read(driver.ProcessId);
            Progress("cold pull + publish");
            var cpuBefore = ProcessMemorySampler.CpuSeconds(driver.ProcessId);
            double coldSeconds;
            await using (var sampler = ProcessMemorySampler.Start(driver.ProcessId))
            {
                var started = Stopwatch.GetTimestamp();
                await PublishAsync(client, work, tagReference, cancellationToken);
                coldSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                await sampler.StopAsync();
                var cpuAfter = ProcessMemorySampler.CpuSeconds(driver.ProcessId);
                var (user, system) = (cpuAfter.User - cpuBefore.User, cpuAfter.System - cpuBefore.System);
                var cpu = user + system;
                var cold = totalBytes / coldSeconds / 1e6;
                table.Add("cold pull + publish", Rate(cold), $">= {Rate(0.8 * limit)} (80% of limit)", cold >= 0.8 * limit);
                table.Add("cold pull + publish, time", $"{coldSeconds:F2} s");
                table.Add("driver CPU during cold pull (user + kernel)", $"{user:F2} + {system:F2} s", $"{cpu / coldSeconds:F2} cores busy on average");
                var peak = Math.Max(sampler.PeakRssBytes, sampler.HighWaterMarkBytes);
                table.Add("driver RSS before the pull", Mib(idle?.Rss ?? 0));
                table.Add($"driver peak VmRSS during the pull ({sampler.Samples} samples, 50 ms)", Mib(sampler.PeakRssBytes));
                table.Add("driver VmHWM after the pull (peak since start)", Mib(sampler.HighWaterMarkBytes), "< 200 MiB", peak < 200L * 1024 * 1024);
            }

            Progress($"warm: {options.Warm} publishes by tag, then {options.Warm} by digest");
            var warmTag = await TimePublishesAsync(client, work, tagReference, cancellationToken);
            var warmDigest = await TimePublishesAsync(client, work, $"{registry.Host}/{Repository}@{packed.ManifestDigest}", cancellationToken);
            table.Add($"warm publish by tag, p50 ({warmTag.Count})", Ms(warmTag.P50));
            table.Add($"warm publish by tag, p99 ({warmTag.Count})", Ms(warmTag.P99), "< 50 ms", warmTag.P99 < 50);
            table.Add("warm publish by tag, max", Ms(warmTag.Max));
            table.Add($"warm publish by digest, p50 ({warmDigest.Count})", Ms(warmDigest.P50));
            table.Add($"warm publish by digest, p99 ({warmDigest.Count})", Ms(warmDigest.P99), "< 50 ms", warmDigest.P99 < 50);
            table.Add("warm publish by digest, max", Ms(warmDigest.Max));

            Progress($"unpublishing {_published.Count} volumes");
            var unpublish = await TimeUnpublishAllAsync(client, cancellationToken);
            table.Add($"unpublish, p50 ({unpublish.Count})", Ms(unpublish.P50));
            table.Add($"unpublish, p99 ({unpublish.Count})", Ms(unpublish.P99));
            table.Add("unpublish, max", Ms(unpublish.Max));
            var after = ProcessMemorySampler.Read(driver.ProcessId);
            table.Add("driver VmHWM at the end", Mib(after?.Hwm ?? 0), "< 200 MiB", after is { } a && a.Hwm < 200L * 1024 * 1024);

            Console.WriteLine();
            Console.WriteLine("ModelCsi node plugin benchmark (MB = 10^6 bytes, MiB = 2^20 bytes)");
            foreach (var fact in facts)
            {
                Console.WriteLine(fact);
            }

            Console.WriteLine();
            Console.Write(table.Render());
            return 0;
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"benchmark aborted: {e}");
            if (driver is not null)
            {
                Console.Error.WriteLine("driver output:\n" + driver.Output);
            }

            // Missed targets exit 0; a run that could not measure is a failure of the benchmark itself.
            return 1;
        }
        finally
        {
            if (driver is not null)
            {
                await UnpublishLeftoversAsync(new Node.NodeClient(driver.Channel));
                await driver.DisposeAsync();
            }

            var leftover = work.UnmountAll();
            if (leftover > 0)
            {
                Console.Error.WriteLine($"unmounted {leftover} mounts the driver left behind");
            }

            if (registry is not null)
            {
                await registry.DisposeAsync();
            }

            if (options.Keep)
            {
                Console.WriteLine($"kept {work.Path}");
            }
        }
    }

    private async Task<LatencySummary> TimePublishesAsync(Node.NodeClient client, WorkDirectory work, string reference, CancellationToken cancellationToken)
    {
        var timings = new List<double>(options.Warm);
        for (var i = 0; i < options.Warm; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await PublishAsync(client, work, reference, cancellationToken);
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return LatencySummary.Of(timings);
    }

    private async Task<LatencySummary> TimeUnpublishAllAsync(Node.NodeClient client, CancellationToken cancellationToken)
    {
        var timings = new List<double>(_published.Count);
        while (_published.Count > 0)
        {
            var request = _published[^1];
            var started = Stopwatch.GetTimestamp();
            await client.NodeUnpublishVolumeAsync(
                new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath },
                deadline: DateTime.UtcNow + RpcPatience, cancellationToken: cancellationToken);
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _published.RemoveAt(_published.Count - 1);
        }

        return LatencySummary.Of(timings);
    }

    private async Task UnpublishLeftoversAsync(Node.NodeClient client)
    {
        foreach (var request in _published)
        {
            try
            {
                await client.NodeUnpublishVolumeAsync(
                    new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath },
                    deadline: DateTime.UtcNow + TimeSpan.FromSeconds(30));
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"unpublish of {request.TargetPath} failed: {e.Status}");
            }
        }

        _published.Clear();
    }

    /// <summary>Publishes like kubelet does for an inline (ephemeral) volume of a pod with podInfoOnMount.</summary>
    private async Task PublishAsync(Node.NodeClient client, WorkDirectory work, string reference, CancellationToken cancellationToken)
    {
        var uid = Guid.NewGuid().ToString();
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-" + Guid.NewGuid().ToString("N"),
            TargetPath = work.Combine("kubelet", "pods", uid, "volumes", "kubernetes.io~csi", "model", "mount"),
            Readonly = true,
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeWriter },
            },
            VolumeContext =
            {
                ["modelRef"] = reference,
                ["csi.storage.k8s.io/pod.name"] = "bench-" + uid[..8],
                ["csi.storage.k8s.io/pod.namespace"] = "bench",
                ["csi.storage.k8s.io/pod.uid"] = uid,
                ["csi.storage.k8s.io/serviceAccount.name"] = "default",
                ["csi.storage.k8s.io/ephemeral"] = "true",
            },
        };
        // Recorded first: a publish that fails half way may still have mounted, and cleanup must see it.
        _published.Add(request);
        await client.NodePublishVolumeAsync(request, deadline: DateTime.UtcNow + RpcPatience, cancellationToken: cancellationToken);
    }

    private static async Task<string> FileSystemTypeAsync(string path, CancellationToken cancellationToken)
    {
        var output = await ExternalCommand.RunAsync("df", ["--output=fstype,source", path], cancellationToken);
        return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string MemoryFacts()
    {
        var meminfo = File.ReadAllLines("/proc/meminfo");
        string Field(string name) =>
            meminfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim() ?? "?";
        return $"MemTotal {Field("MemTotal:")}, MemAvailable {Field("MemAvailable:")} (the model stays in page cache when it fits)";
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");

    private static string Rate(double mbps) => $"{mbps:F0} MB/s";

    private static string Ms(double ms) => $"{ms:F1} ms";

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";
}
