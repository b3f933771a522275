namespace ModelCsi.Benchmarks;

/// <summary>
/// One repetition of the before/after comparison (<c>--baseline</c>): each driver build, in alternating
/// order, as a fresh process on an empty root: the cold pull + publish of the one-raw-layer model with its
/// peak RSS, then warm publishes of the now-cached model at each concurrency (p50 and p99), then RSS with
/// many volumes published. Ratios are after / before within the repetition, so load that changes between
/// repetitions cancels out.
/// </summary>
public sealed class BaselineCases(BenchmarkOptions options, WorkDirectory work, Figures figures)
{
    public const string Before = "before";
    public const string After = "after";

    public async Task RunAsync(int rep, BenchModel model, BenchModel warm, CancellationToken cancellationToken)
    {
        var order = rep % 2 == 0 ? new[] { Before, After } : [After, Before];
        foreach (var build in order)
        {
            await MeasureAsync(build, build == Before ? options.Baseline : null, model, warm, cancellationToken);
        }

        foreach (var name in Names)
        {
            var after = figures[$"{After}: {name}"].Last;
            var before = figures[$"{Before}: {name}"].Last;
            figures.AddRatio($"ratio: {name}", after, before);
        }
    }

    /// <summary>Every figure measured for both builds, in report order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "cold pull MB/s",
        "peak RSS during the pull",
        .. BenchmarkOptions.Concurrency.SelectMany(c => new[] { $"warm publish c{c} p50", $"warm publish c{c} p99" }),
        $"RSS with {BenchmarkOptions.ManyVolumes} volumes",
        $"RSS with {BenchmarkOptions.ManyVolumes} volumes, anonymous part",
    ];

    private async Task MeasureAsync(string build, string? dll, BenchModel model, BenchModel warm, CancellationToken cancellationToken)
    {
        Progress($"{build}: cold pull + publish of '{model.Name}'");
        await using var session = await DriverSession.StartAsync(work, build, cancellationToken, dll);
        double milliseconds;
        await using (var sampler = ProcessMemorySampler.Start(session.ProcessId))
        {
            milliseconds = await session.PublishAsync(model.TagReference, cancellationToken: cancellationToken);
            await sampler.StopAsync();
            figures[$"{build}: peak RSS during the pull"].Add(Math.Max(sampler.PeakRssBytes, sampler.HighWaterMarkBytes));
        }

        figures[$"{build}: cold pull MB/s"].Add(model.BlobBytes / (milliseconds / 1000) / 1e6);
        await session.UnpublishAllAsync(1, cancellationToken);

        await session.PublishAsync(warm.DigestReference, cancellationToken: cancellationToken);
        await session.UnpublishAllAsync(1, cancellationToken);
        foreach (var concurrency in BenchmarkOptions.Concurrency)
        {
            var count = Math.Max(options.Warm, 2 * concurrency);
            Progress($"{build}:   {count} warm publishes at concurrency {concurrency}");
            var timings = await session.PublishManyAsync(warm.DigestReference, count, concurrency, cancellationToken: cancellationToken);
            await session.UnpublishAllAsync(concurrency, cancellationToken);
            figures[$"{build}: warm publish c{concurrency} p50"].Add(Figures.Percentile(timings, 0.5));
            figures[$"{build}: warm publish c{concurrency} p99"].Add(Figures.Percentile(timings, 0.99));
        }

        Progress($"{build}:   RSS with {BenchmarkOptions.ManyVolumes} volumes");
        await session.PublishManyAsync(warm.DigestReference, BenchmarkOptions.ManyVolumes, 10, cancellationToken: cancellationToken);
        figures[$"{build}: RSS with {BenchmarkOptions.ManyVolumes} volumes"].Add(ProcessMemorySampler.Read(session.ProcessId)?.Rss ?? double.NaN);
        figures[$"{build}: RSS with {BenchmarkOptions.ManyVolumes} volumes, anonymous part"].Add(ProcessMemorySampler.ReadAnonymous(session.ProcessId));
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");
}
