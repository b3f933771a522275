using System.Diagnostics;
using ModelCsi.Core.Transfer;

namespace ModelCsi.Benchmarks;

/// <summary>
/// One repetition of the cold pulls: for every layer form, the machine's limits, the driver (a fresh
/// process on an empty root) and its peer in alternating order, bytes written to the device per model
/// byte for both, and the driver's peak RSS. Also the PipelinedBlobFetcher alone on the raw blob.
/// </summary>
public sealed class PullCases(BenchmarkOptions options, WorkDirectory work, DeviceWrites? device, Figures figures)
{
    // The driver's default ModelCacheOptions.MaxParallelLayers.
    private const int DriverParallelLayers = 4;

    public async Task RunAsync(int rep, IReadOnlyList<BenchModel> models, CancellationToken cancellationToken)
    {
        var sha = await MachineLimits.OpensslSha256MBpsAsync(options.Quick ? 1 : 2, cancellationToken);
        var disk = await MachineLimits.DiskMBpsAsync(work.Path, options.RawBytes, cancellationToken);
        figures["openssl sha256, one core"].Add(sha);
        figures["disk write + fsync"].Add(disk);

        long peakRss = 0;
        foreach (var model in models)
        {
            var big = model.BigLayers;
            var curl = await MachineLimits.CurlMBpsAsync(big.Select(model.BlobUri).ToList(), Math.Min(DriverParallelLayers, big.Count), cancellationToken);
            var cores = Math.Min(Environment.ProcessorCount, Math.Min(DriverParallelLayers, big.Count));
            var limit = Math.Min(curl, Math.Min(disk, sha * cores));
            figures[$"{model.Name}: curl"].Add(curl);
            figures[$"{model.Name}: openssl x cores"].Add(sha * cores);
            figures[$"{model.Name}: limit"].Add(limit);

            Run driver, peer;
            if (rep % 2 == 0)
            {
                driver = await DriverColdPullAsync(model, cancellationToken);
                peer = await PeerAsync(model, cancellationToken);
            }
            else
            {
                peer = await PeerAsync(model, cancellationToken);
                driver = await DriverColdPullAsync(model, cancellationToken);
            }

            Record(model, driver, peer, limit);
            peakRss = Math.Max(peakRss, driver.PeakRss);
            if (model.Name == ModelCatalog.RawOne)
            {
                var fetched = await FetcherAloneAsync(model, cancellationToken);
                figures["PipelinedBlobFetcher alone"].Add(fetched);
                figures.AddRatio("PipelinedBlobFetcher alone: ratio", fetched, limit);
            }
        }

        figures["driver peak RSS during pulls"].Add(peakRss);
    }

    private void Record(BenchModel model, Run driver, Run peer, double limit)
    {
        var name = model.Name;
        figures[$"{name}: written per byte"].Add(driver.DeviceBytes < 0 ? double.NaN : driver.DeviceBytes / (double)model.ContentBytes);
        figures[$"{name}: peer written per byte"].Add(peer.DeviceBytes < 0 ? double.NaN : peer.DeviceBytes / (double)model.ContentBytes);
        if (name == ModelCatalog.SmallFiles)
        {
            var driverMicros = driver.Seconds * 1e6 / model.FileCount;
            var peerMicros = peer.Seconds * 1e6 / model.FileCount;
            figures[$"{name}: driver"].Add(driverMicros);
            figures[$"{name}: peer"].Add(peerMicros);
            figures.AddRatio($"{name}: ratio", driverMicros, peerMicros);
            return;
        }

        var raw = BenchModel.FormOf(model.Layers[0]) == Core.ModelPack.LayerForm.Raw;
        // Raw figures count blob bytes (what crosses the network); tar forms count the model's file bytes.
        var bytes = raw ? model.BlobBytes : model.ContentBytes;
        var driverRate = bytes / driver.Seconds / 1e6;
        var peerRate = bytes / peer.Seconds / 1e6;
        figures[$"{name}: driver"].Add(driverRate);
        figures[$"{name}: peer"].Add(peerRate);
        figures.AddRatio($"{name}: peer ratio", driverRate, peerRate);
        if (raw)
        {
            figures.AddRatio($"{name}: limit ratio", driverRate, limit);
        }
    }

    private async Task<Run> DriverColdPullAsync(BenchModel model, CancellationToken cancellationToken)
    {
        Progress($"driver: cold pull + publish of '{model.Name}'");
        await using var session = await DriverSession.StartAsync(work, "cold", cancellationToken);
        var before = await DeviceBytesAsync(cancellationToken);
        var processBefore = DeviceWrites.ProcessWriteBytes(session.ProcessId);
        double milliseconds;
        long peak;
        var yields = await SchedYieldCounter.StartAsync(session.ProcessId);
        await using (var sampler = ProcessMemorySampler.Start(session.ProcessId))
        {
            milliseconds = await session.PublishAsync(model.TagReference, cancellationToken: cancellationToken);
            await sampler.StopAsync();
            peak = Math.Max(sampler.PeakRssBytes, sampler.HighWaterMarkBytes);
        }

        figures[$"{model.Name}: sched_yield"].Add(await yields.StopAsync());
        figures[$"{model.Name}: peak RSS"].Add(peak);

        var after = await DeviceBytesAsync(cancellationToken);
        // Without a block device of our own, the driver's own write_bytes stands in (it leaves out the journal).
        var written = device is null
            ? DeviceWrites.ProcessWriteBytes(session.ProcessId) - processBefore
            : after - before;
        return new Run(milliseconds / 1000, written, peak);
    }

    private async Task<Run> PeerAsync(BenchModel model, CancellationToken cancellationToken)
    {
        var raw = BenchModel.FormOf(model.Layers[0]) == Core.ModelPack.LayerForm.Raw;
        if (raw && !Peers.HasSkopeo)
        {
            return new Run(double.NaN, -1, 0);
        }

        Progress($"peer: {Peers.Describe(model)} of '{model.Name}'");
        var destination = work.Combine("peer-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var before = await DeviceBytesAsync(cancellationToken);
            var seconds = raw
                ? await Peers.SkopeoAsync(model, destination, cancellationToken)
                : await Peers.CurlTarAsync(model, destination, cancellationToken);
            var after = await DeviceBytesAsync(cancellationToken);
            return new Run(seconds, device is null ? -1 : after - before, 0);
        }
        finally
        {
            if (Directory.Exists(destination))
            {
                Directory.Delete(destination, recursive: true);
            }
        }
    }

    /// <summary>ModelCsi.Core.Transfer.PipelinedBlobFetcher in this process, registry → a file in the work dir; MB/s.</summary>
    private async Task<double> FetcherAloneAsync(BenchModel model, CancellationToken cancellationToken)
    {
        Progress("PipelinedBlobFetcher alone: registry -> file, verified and synced");
        using var http = new HttpClient();
        var layers = model.BigLayers;
        var paths = layers.Select(_ => work.Combine("fetch-" + Guid.NewGuid().ToString("N")[..8])).ToList();
        var fetcher = new PipelinedBlobFetcher(new LayerFetchOptions());
        await ExternalCommand.RunAsync("sync", ["-f", work.Path], cancellationToken);
        var yields = await SchedYieldCounter.StartAsync(Environment.ProcessId);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(layers.Select((layer, i) => fetcher.FetchToFileAsync(
                new BlobSource((offset, token) => OpenAsync(http, model.BlobUri(layer), offset, token)), layer, paths[i], cancellationToken: cancellationToken)));
            var rate = layers.Sum(l => l.Size) / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
            figures["PipelinedBlobFetcher alone: sched_yield"].Add(await yields.StopAsync());
            return rate;
        }
        finally
        {
            paths.ForEach(File.Delete);
        }
    }

    private static async Task<Stream> OpenAsync(HttpClient http, Uri blob, long offset, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, blob);
        if (offset > 0)
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(offset, null);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    private async Task<long> DeviceBytesAsync(CancellationToken cancellationToken) =>
        device is null ? 0 : await device.ReadAsync(cancellationToken);

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}]   {step}");

    private readonly record struct Run(double Seconds, long DeviceBytes, long PeakRss);
}
