using Grpc.Core;

namespace ModelCsi.Benchmarks;

/// <summary>
/// One repetition of the publish measurements on one driver with a small model cached: warm publish
/// and unpublish at each concurrency against the kernel floor (alternating which goes first), a tag
/// under pullPolicy IfNotPresent against Always, RSS with many volumes and with dynamic volumes, and
/// cached publishes while another model (the small-files one) is being pulled.
/// </summary>
public sealed class PublishCases(BenchmarkOptions options, WorkDirectory work, Figures figures)
{
    public async Task RunAsync(int rep, BenchModel warm, BenchModel pulledMeanwhile, CancellationToken cancellationToken)
    {
        Progress("driver: warm publishes");
        await using var session = await DriverSession.StartAsync(work, "warm", cancellationToken);
        await session.PublishAsync(warm.DigestReference, cancellationToken: cancellationToken);
        await session.UnpublishAllAsync(1, cancellationToken);
        var floorSource = work.Combine("floor-source");
        Directory.CreateDirectory(floorSource);
        await File.WriteAllTextAsync(Path.Combine(floorSource, "config.json"), "{}", cancellationToken);

        foreach (var concurrency in BenchmarkOptions.Concurrency)
        {
            var count = Math.Max(options.Warm, 2 * concurrency);
            Progress($"  {count} publishes + unpublishes at concurrency {concurrency}, and the kernel floor");
            List<double> publish, unpublish;
            (List<double> Publish, List<double> Unpublish) floor;
            if ((rep + concurrency) % 2 == 0)
            {
                (publish, unpublish) = await DriverRoundAsync(session, warm, count, concurrency, cancellationToken);
                floor = await KernelFloor.MeasureAsync(work.Combine("floor"), floorSource, count, concurrency, cancellationToken);
            }
            else
            {
                floor = await KernelFloor.MeasureAsync(work.Combine("floor"), floorSource, count, concurrency, cancellationToken);
                (publish, unpublish) = await DriverRoundAsync(session, warm, count, concurrency, cancellationToken);
            }

            Add($"publish c{concurrency}", Figures.Percentile(publish, 0.5), Figures.Percentile(floor.Publish, 0.5));
            var probes = await session.ProbeManyAsync(count, concurrency, cancellationToken);
            figures[$"probe c{concurrency}"].Add(Figures.Percentile(probes, 0.5));
            Add($"unpublish c{concurrency}", Figures.Percentile(unpublish, 0.5), Figures.Percentile(floor.Unpublish, 0.5));
            if (concurrency == 1)
            {
                figures["publish c1 p99"].Add(Figures.Percentile(publish, 0.99));
            }
        }

        await PullPolicyAsync(session, warm, cancellationToken);
        await ResidentMemoryAsync(session, warm, cancellationToken);
        await PublishDuringPullAsync(session, warm, pulledMeanwhile, cancellationToken);
    }

    private async Task<(List<double> Publish, List<double> Unpublish)> DriverRoundAsync(DriverSession session, BenchModel warm, int count, int concurrency, CancellationToken cancellationToken)
    {
        var before = ProcessMemorySampler.CpuSeconds(session.ProcessId);
        var publish = await session.PublishManyAsync(warm.DigestReference, count, concurrency, cancellationToken: cancellationToken);
        var after = ProcessMemorySampler.CpuSeconds(session.ProcessId);
        var unpublish = await session.UnpublishAllAsync(concurrency, cancellationToken);
        var end = ProcessMemorySampler.CpuSeconds(session.ProcessId);
        // The driver's own CPU (user + system) per call: on two cores it bounds how far latency can fall under concurrency.
        figures[$"publish c{concurrency} driver cpu"].Add((after.User + after.System - before.User - before.System) * 1e6 / count);
        figures[$"unpublish c{concurrency} driver cpu"].Add((end.User + end.System - after.User - after.System) * 1e6 / count);
        return (publish, unpublish);
    }

    /// <summary>Issue 13's pullPolicy on a tag; "n/a" when this driver refuses the attribute.</summary>
    private async Task PullPolicyAsync(DriverSession session, BenchModel warm, CancellationToken cancellationToken)
    {
        var p50 = new Dictionary<string, double>();
        foreach (var policy in new[] { "IfNotPresent", "Always" })
        {
            p50[policy] = double.NaN;
            Progress($"  {options.Warm} publishes of a tag with pullPolicy {policy}");
            try
            {
                var timings = await session.PublishManyAsync(warm.TagReference, options.Warm, 1, new Dictionary<string, string> { ["pullPolicy"] = policy }, cancellationToken);
                p50[policy] = Figures.Percentile(timings, 0.5);
                figures[$"tag {policy} p50"].Add(p50[policy]);
                figures[$"tag {policy} p99"].Add(Figures.Percentile(timings, 0.99));
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument)
            {
                figures[$"tag {policy} p50"].Add(double.NaN);
                figures[$"tag {policy} p99"].Add(double.NaN);
            }

            await session.UnpublishAllAsync(10, cancellationToken);
        }

        figures.AddRatio("tag Always/IfNotPresent p50", p50["Always"], p50["IfNotPresent"]);
    }

    private async Task ResidentMemoryAsync(DriverSession session, BenchModel warm, CancellationToken cancellationToken)
    {
        Progress($"  RSS with {BenchmarkOptions.ManyVolumes} volumes, then with {BenchmarkOptions.DynamicVolumes} dynamic volumes");
        await session.PublishManyAsync(warm.DigestReference, BenchmarkOptions.ManyVolumes, 10, cancellationToken: cancellationToken);
        figures["RSS with many volumes"].Add(ProcessMemorySampler.Read(session.ProcessId)?.Rss ?? double.NaN);
        await session.UnpublishAllAsync(10, cancellationToken);

        var before = ProcessMemorySampler.Read(session.ProcessId)?.Rss ?? 0;
        await session.PublishManyAsync(null, BenchmarkOptions.DynamicVolumes, 5, new Dictionary<string, string> { ["mode"] = "dynamic" }, cancellationToken);
        var after = ProcessMemorySampler.Read(session.ProcessId)?.Rss ?? 0;
        figures["RSS with dynamic volumes"].Add(after);
        figures["RSS per dynamic volume"].Add((after - before) / (double)BenchmarkOptions.DynamicVolumes);
        await session.UnpublishAllAsync(10, cancellationToken);
    }

    /// <summary>Sequential cached publishes while another model's cold pull runs, against the same with the driver idle.</summary>
    private async Task PublishDuringPullAsync(DriverSession session, BenchModel warm, BenchModel pulled, CancellationToken cancellationToken)
    {
        Progress($"  cached publishes idle, then while '{pulled.Name}' is pulled");
        var idle = await session.PublishManyAsync(warm.DigestReference, options.Warm, 1, cancellationToken: cancellationToken);
        await session.UnpublishAllAsync(10, cancellationToken);

        var during = new List<double>();
        var pull = session.PublishAsync(pulled.TagReference, cancellationToken: cancellationToken);
        while (!pull.IsCompleted && during.Count < 100 * options.Warm)
        {
            var took = await session.PublishAsync(warm.DigestReference, cancellationToken: cancellationToken);
            if (!pull.IsCompleted)
            {
                during.Add(took);
            }
        }

        await pull;
        await session.UnpublishAllAsync(10, cancellationToken);
        figures["publish during pull: samples"].Add(during.Count);
        Add("publish during pull p99", Figures.Percentile(during, 0.99), Figures.Percentile(idle, 0.99));
    }

    private void Add(string name, double value, double against)
    {
        figures[name].Add(value);
        figures[name + " floor"].Add(against);
        figures.AddRatio(name + " ratio", value, against);
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");
}
