using Grpc.Core;
using ModelCsi.TestSupport;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The node plugin against the machine's limits and against peers, repeated: cold pulls of every layer
/// form (limit = min(registry → /dev/null, disk write + fsync, OpenSSL sha256 × cores); skopeo and
/// curl | tar as peers in alternating order), bytes written per model byte, warm publish/unpublish
/// against the kernel floor at several concurrencies, cached publishes during a pull, RSS, and pull
/// policy. Prints one table with min / median / max and the issue's targets; a missed target still exits 0.
/// </summary>
public sealed class NodeBenchmark(BenchmarkOptions options)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        using var work = new WorkDirectory(options.WorkDir, options.Keep);
        var scratch = Directory.CreateTempSubdirectory("modelcsi-bench-src-").FullName;
        RegistryProcess? registry = null;
        var figures = new Figures();
        try
        {
            registry = await RegistryProcess.StartAsync(cancellationToken: cancellationToken);
            var catalog = new ModelCatalog(options, registry.Host, scratch);
            if (options.Baseline is not null)
            {
                return await CompareWithBaselineAsync(work, catalog, figures, cancellationToken);
            }

            var models = await catalog.PushAllAsync(cancellationToken);
            var warm = await catalog.PushWarmAsync(cancellationToken);
            var device = DeviceWrites.For(work.Path);
            var facts = Facts(work, device, models);
            await ExternalCommand.RunAsync("sync", [], cancellationToken);

            for (var rep = 0; rep < options.Reps; rep++)
            {
                Progress($"repetition {rep + 1} of {options.Reps} ({(rep % 2 == 0 ? "driver first" : "peers first")})");
                await new PullCases(options, work, device, figures).RunAsync(rep, models, cancellationToken);
                await new PublishCases(options, work, figures).RunAsync(rep, warm, models.Single(m => m.Name == ModelCatalog.SmallFiles), cancellationToken);
            }

            Console.WriteLine();
            Console.WriteLine("ModelCsi node plugin benchmark (MB = 10^6 bytes, MiB = 2^20 bytes; min / median / max over repetitions;");
            Console.WriteLine("ratios taken within each repetition; 'met' judges the median)");
            facts.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.Write(ReportBuilder.Build(figures, models).Render());
            return 0;
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or TimeoutException or HttpRequestException)
        {
            Console.Error.WriteLine($"benchmark aborted: {e}");
            // Missed targets exit 0; a run that could not measure is a failure of the benchmark itself.
            return 1;
        }
        finally
        {
            if (registry is not null)
            {
                await registry.DisposeAsync();
            }

            Directory.Delete(scratch, recursive: true);
            if (options.Keep)
            {
                Console.WriteLine($"kept {work.Path}");
            }
        }
    }

    private async Task<int> CompareWithBaselineAsync(WorkDirectory work, ModelCatalog catalog, Figures figures, CancellationToken cancellationToken)
    {
        var model = await catalog.PushRawOneAsync(cancellationToken);
        var warm = await catalog.PushWarmAsync(cancellationToken);
        var facts = Facts(work, DeviceWrites.For(work.Path), [model]);
        await ExternalCommand.RunAsync("sync", [], cancellationToken);
        for (var rep = 0; rep < options.Reps; rep++)
        {
            Progress($"repetition {rep + 1} of {options.Reps} ({(rep % 2 == 0 ? "before first" : "after first")})");
            await new BaselineCases(options, work, figures).RunAsync(rep, model, warm, cancellationToken);
        }

        Console.WriteLine();
        Console.WriteLine($"ModelCsi before/after: before = {options.Baseline}, after = this build's driver");
        Console.WriteLine("(min / median / max over repetitions; ratios after/before taken within each repetition; 'met' judges the median)");
        facts.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.Write(BaselineReport.Build(figures).Render());
        return 0;
    }

    private List<string> Facts(WorkDirectory work, DeviceWrites? device, IReadOnlyList<BenchModel> models)
    {
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        var meminfo = File.ReadAllLines("/proc/meminfo");
        string Field(string name) => meminfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim() ?? "?";
        return
        [
            $"{(options.Quick ? "QUICK run (small sizes; figures are a smoke test, not results); " : "")}{options.Reps} repetition(s); "
                + $"nproc {Environment.ProcessorCount}; load average {load}; MemTotal {Field("MemTotal:")}",
            $"work dir {work.Path} on {(device is null ? "a filesystem without a block device of its own (bytes written: the driver's write_bytes)" : device.Device)}",
            "models: " + string.Join("; ", models.Select(m => $"{m.Name} {m.ContentBytes / 1e6:F0} MB content, {m.BlobBytes / 1e6:F0} MB blobs, {m.Layers.Count} layers")),
            "peers and the kernel floor include the same durability: peers end with sync -f; the floor fsyncs its record",
        ];
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");
}
