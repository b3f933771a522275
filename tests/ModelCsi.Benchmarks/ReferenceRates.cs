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

    /// <summary>
    /// Downloads the blobs with one curl each, all at once, into files in <paramref name="directory"/>,
    /// then fsyncs them: what the network, the page cache and the disk allow together. Deletes the files.
    /// </summary>
    public static async Task<double> CurlToDiskParallelMBpsAsync(IReadOnlyList<Uri> blobs, string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var files = blobs.Select((_, i) => Path.Combine(directory, $"blob-{i}")).ToList();
        try
        {
            var started = Stopwatch.GetTimestamp();
            var results = await Task.WhenAll(blobs.Select((b, i) => CurlAsync(b, cancellationToken, files[i])));
            await ExternalCommand.RunAsync("sync", files, cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return results.Sum(r => r.Bytes) / seconds / 1e6;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>openssl's sha256 over the files (one core); .NET's SHA256 is OpenSSL's, so this is the driver's own hashing speed.</summary>
    public static async Task<double> OpensslSha256MBpsAsync(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var started = Stopwatch.GetTimestamp();
        await ExternalCommand.RunAsync("openssl", ["dgst", "-sha256", .. files], cancellationToken);
        return bytes / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    /// <summary>sha256sum over the files in one process (one core); bytes over the wall time.</summary>
    public static async Task<double> Sha256sumMBpsAsync(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var started = Stopwatch.GetTimestamp();
        await ExternalCommand.RunAsync("sha256sum", files, cancellationToken);
        return bytes / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    private static async Task<(long Bytes, double Seconds)> CurlAsync(Uri blob, CancellationToken cancellationToken, string output = "/dev/null")
    {
        var written = await ExternalCommand.RunAsync(
            "curl", ["-s", "-f", "-L", "-o", output, "-w", "%{size_download} %{time_total}", blob.ToString()], cancellationToken);
        var parts = written.Trim().Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
