using System.Collections.Concurrent;
using System.Diagnostics;
using Csi.V1;
using Grpc.Core;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Benchmarks;

/// <summary>
/// A fresh driver process on a fresh root under the work directory, with kubelet-like publishes and
/// unpublishes that remember what is mounted. Disposing unpublishes what is left, stops the driver,
/// unmounts anything still mounted under its directories and deletes them: the next session starts cold.
/// </summary>
public sealed class DriverSession : IAsyncDisposable
{
    private static readonly TimeSpan RpcPatience = TimeSpan.FromMinutes(30);

    private readonly DriverUnderTest _driver;
    private readonly WorkDirectory _work;
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, NodePublishVolumeRequest> _published = new();
    private readonly Node.NodeClient _client;
    private readonly Identity.IdentityClient _identity;

    private DriverSession(DriverUnderTest driver, WorkDirectory work, string directory)
    {
        _driver = driver;
        _work = work;
        _directory = directory;
        _client = new Node.NodeClient(driver.Channel);
        _identity = new Identity.IdentityClient(driver.Channel);
    }

    public int ProcessId => _driver.ProcessId;

    public string Output => _driver.Output;

    public int PublishedCount => _published.Count;

    public static async Task<DriverSession> StartAsync(WorkDirectory work, string name, CancellationToken cancellationToken = default, string? driverDll = null)
    {
        var directory = work.Combine("driver-" + name);
        Directory.CreateDirectory(directory);
        var driver = await DriverUnderTest.StartAsync(directory, driverDll, cancellationToken);
        return new DriverSession(driver, work, directory);
    }

    /// <summary>Publishes like kubelet for an inline volume of a pod with podInfoOnMount; returns the milliseconds it took.</summary>
    public async Task<double> PublishAsync(string? reference, IReadOnlyDictionary<string, string>? attributes = null, CancellationToken cancellationToken = default)
    {
        var uid = Guid.NewGuid().ToString();
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-" + Guid.NewGuid().ToString("N"),
            TargetPath = Path.Combine(_directory, "kubelet", "pods", uid, "volumes", "kubernetes.io~csi", "model", "mount"),
            Readonly = true,
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeReaderOnly },
            },
            VolumeContext =
            {
                ["csi.storage.k8s.io/pod.name"] = "bench-" + uid[..8],
                ["csi.storage.k8s.io/pod.namespace"] = "bench",
                ["csi.storage.k8s.io/pod.uid"] = uid,
                ["csi.storage.k8s.io/serviceAccount.name"] = "default",
                ["csi.storage.k8s.io/ephemeral"] = "true",
            },
        };
        if (reference is not null)
        {
            request.VolumeContext["modelRef"] = reference;
        }

        foreach (var (key, value) in attributes ?? new Dictionary<string, string>())
        {
            request.VolumeContext[key] = value;
        }

        // Recorded first: a publish that fails half way may still have mounted, and cleanup must see it.
        _published[request.VolumeId] = request;
        var started = Stopwatch.GetTimestamp();
        await _client.NodePublishVolumeAsync(request, deadline: DateTime.UtcNow + RpcPatience, cancellationToken: cancellationToken);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary><paramref name="count"/> publishes by <paramref name="concurrency"/> workers; their latencies in ms.</summary>
    public async Task<List<double>> PublishManyAsync(string? reference, int count, int concurrency, IReadOnlyDictionary<string, string>? attributes = null, CancellationToken cancellationToken = default)
    {
        var timings = new ConcurrentBag<double>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (_, token) => timings.Add(await PublishAsync(reference, attributes, token)));
        return [.. timings];
    }

    /// <summary>
    /// <paramref name="count"/> Identity Probe calls by <paramref name="concurrency"/> workers, their latencies in ms:
    /// what one CSI call costs over this socket with no work behind it, the floor of any RPC.
    /// </summary>
    public async Task<List<double>> ProbeManyAsync(int count, int concurrency, CancellationToken cancellationToken = default)
    {
        var timings = new ConcurrentBag<double>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (_, token) =>
            {
                var started = Stopwatch.GetTimestamp();
                await _identity.ProbeAsync(new ProbeRequest(), deadline: DateTime.UtcNow + RpcPatience, cancellationToken: token);
                timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            });
        return [.. timings];
    }

    /// <summary>Unpublishes every volume by <paramref name="concurrency"/> workers; their latencies in ms.</summary>
    public async Task<List<double>> UnpublishAllAsync(int concurrency, CancellationToken cancellationToken = default)
    {
        var timings = new ConcurrentBag<double>();
        await Parallel.ForEachAsync(_published.Values.ToList(), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (request, token) =>
            {
                var started = Stopwatch.GetTimestamp();
                await _client.NodeUnpublishVolumeAsync(
                    new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath },
                    deadline: DateTime.UtcNow + RpcPatience, cancellationToken: token);
                timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                _published.TryRemove(request.VolumeId, out _);
            });
        return [.. timings];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await UnpublishAllAsync(10);
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"cleanup unpublish failed: {e.Status}");
        }

        await _driver.DisposeAsync();
        // The driver's own mounts (its shared dynamic-volume root) outlive it by design; they go here.
        _work.UnmountAll(_directory);
        Directory.Delete(_directory, recursive: true);
    }
}
