using System.Diagnostics;
using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>
/// What the machine can do without the driver, measured on the same artifact in the same run: raw blob
/// downloads with curl (sequential and in parallel) and sha256sum over the model files.
/// </summary>
public static class ReferenceRates
{
    /// <summary>Downloads each blob in turn with curl to /dev/null; bytes over the sum of curl's own times.</summary>
    public static async Task<double> CurlSequentialMBpsAsync(IReadOnlyList<Uri> blobs, CancellationToken cancellationToken = default)
    {
        long bytes = 0;
        double seconds = 0;
        foreach (var blob in blobs)
        {
            var (size, time) = await CurlAsync(blob, cancellationToken);
            bytes += size;
            seconds += time;
        }

        return bytes / seconds / 1e6;
    }

    /// <summary>Downloads the blobs with one curl each, all at once; bytes over the wall time.</summary>
    public static async Task<double> CurlParallelMBpsAsync(IReadOnlyList<Uri> blobs, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(blobs.Select(b => CurlAsync(b, cancellationToken)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return results.Sum(r => r.Bytes) / seconds / 1e6;
    }

    /// <summary>sha256sum over the files in one process (one core); bytes over the wall time.</summary>
    public static async Task<double> Sha256sumMBpsAsync(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var started = Stopwatch.GetTimestamp();
        await ExternalCommand.RunAsync("sha256sum", files, cancellationToken);
        return bytes / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    private static async Task<(long Bytes, double Seconds)> CurlAsync(Uri blob, CancellationToken cancellationToken)
    {
        var output = await ExternalCommand.RunAsync(
            "curl", ["-s", "-f", "-L", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", blob.ToString()], cancellationToken);
        var parts = output.Trim().Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
