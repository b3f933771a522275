using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The least a publish and an unpublish can cost on this kernel, with the calls the driver makes:
/// publish = mkdir of the target + a small record file written and fsynced + bind mount + read-only
/// remount (LibcMounter.BindReadOnly); unpublish = umount + rmdir + unlink of the record. Timed per
/// operation at the same concurrency as the driver's.
/// </summary>
public static class KernelFloor
{
    public static async Task<(List<double> Publish, List<double> Unpublish)> MeasureAsync(string directory, string source, int count, int concurrency, CancellationToken cancellationToken = default)
    {
        var mounter = new LibcMounter(NullLogger<LibcMounter>.Instance);
        var records = Path.Combine(directory, "records");
        Directory.CreateDirectory(records);
        var record = new byte[400];
        var publish = new ConcurrentBag<double>();
        var unpublish = new ConcurrentBag<double>();
        var targets = new ConcurrentBag<(string Target, string Record)>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };

        await Parallel.ForEachAsync(Enumerable.Range(0, count), parallel, (i, _) =>
        {
            var target = Path.Combine(directory, "pods", Guid.NewGuid().ToString("N"), "mount");
            var recordPath = Path.Combine(records, Guid.NewGuid().ToString("N") + ".json");
            var started = Stopwatch.GetTimestamp();
            Directory.CreateDirectory(target);
            using (var file = new FileStream(recordPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
                file.Write(record);
                file.Flush(flushToDisk: true);
            }

            mounter.BindReadOnly(source, target);
            publish.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            targets.Add((target, recordPath));
            return ValueTask.CompletedTask;
        });

        await Parallel.ForEachAsync(targets.ToList(), parallel, (t, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            mounter.Unmount(t.Target);
            Directory.Delete(t.Target);
            File.Delete(t.Record);
            unpublish.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return ValueTask.CompletedTask;
        });

        Directory.Delete(directory, recursive: true);
        return ([.. publish], [.. unpublish]);
    }
}
