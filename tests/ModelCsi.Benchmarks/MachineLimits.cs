using System.Diagnostics;
using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>
/// What the machine can do without the driver, measured in the same repetition: the registry to
/// /dev/null with curl, the disk (write + fsync with dd), and OpenSSL's sha256 on one core (the driver
/// hashes with the same OpenSSL), multiplied by the cores the layers can use.
/// </summary>
public static class MachineLimits
{
    /// <summary>The blobs with one curl each, up to <paramref name="parallel"/> at once; bytes over the wall time, MB/s.</summary>
    public static async Task<double> CurlMBpsAsync(IReadOnlyList<Uri> blobs, int parallel, CancellationToken cancellationToken = default)
    {
        long bytes = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(blobs, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (blob, token) =>
        {
            var written = await ExternalCommand.RunAsync("curl", ["-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", blob.ToString()], token);
            Interlocked.Add(ref bytes, long.Parse(written.Trim(), CultureInfo.InvariantCulture));
        });
        return bytes / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    /// <summary><c>dd conv=fsync</c> of <paramref name="bytes"/> into <paramref name="directory"/> (then deleted), MB/s.</summary>
    public static async Task<double> DiskMBpsAsync(string directory, long bytes, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(directory, "dd-probe");
        var mib = Math.Max(16, bytes >> 20);
        try
        {
            await ExternalCommand.RunAsync("sync", ["-f", directory], cancellationToken);
            var (_, seconds) = await ExternalCommand.RunTimedAsync(
                "dd", ["if=/dev/zero", $"of={file}", "bs=1M", $"count={mib}", "conv=fsync", "status=none"], cancellationToken);
            return (mib << 20) / seconds / 1e6;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary><c>openssl speed -evp sha256</c> on 1 MiB blocks, one core, MB/s.</summary>
    public static async Task<double> OpensslSha256MBpsAsync(int seconds, CancellationToken cancellationToken = default)
    {
        var output = await ExternalCommand.RunAsync("openssl", ["speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", seconds.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        // Last line: "sha256   1793813.94k" (thousands of bytes per second).
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.TrimEnd().EndsWith('k'));
        var value = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].TrimEnd('k');
        return double.Parse(value, CultureInfo.InvariantCulture) * 1000 / 1e6;
    }
}
