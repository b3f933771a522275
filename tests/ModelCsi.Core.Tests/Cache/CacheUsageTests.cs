using CsCheck;
using ModelCsi.Core.Cache;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>The in-memory size tracking against a model of the disk: changes as they happen, and a walk's correction.</summary>
public sealed class CacheUsageTests
{
    private static readonly Gen<long[]> Sizes = Gen.Long[-1, 1000].Array[5];

    // (path index, bytes); -1 bytes removes the path.
    private static readonly Gen<(int Path, long Bytes)[]> Changes = Gen.Select(Gen.Int[0, 4], Gen.Long[-1, 1000]).Array[0, 8];

    private static string PathOf(int index) => $"/cache/blobs/sha256/{index}";

    private static Dictionary<string, long> AsDictionary(long[] sizes) =>
        Enumerable.Range(0, sizes.Length).Where(i => sizes[i] >= 0).ToDictionary(PathOf, i => sizes[i]);

    private static void Apply(CacheUsage usage, Dictionary<string, long> disk, (int Path, long Bytes) change)
    {
        var path = PathOf(change.Path);
        if (change.Bytes < 0)
        {
            usage.Remove(path);
            disk.Remove(path);
        }
        else
        {
            usage.Set(path, change.Bytes);
            disk[path] = change.Bytes;
        }
    }

    [Fact]
    public void A_walks_correction_ends_at_the_disks_state_keeping_the_changes_made_while_it_walked()
    {
        Gen.Select(Sizes, Sizes, Changes, Changes).Sample((onDisk, trackedBefore, beforeWalk, duringWalk) =>
        {
            long reported = -1;
            var usage = new CacheUsage(total => reported = total);
            // What is tracked has drifted from the disk (files changed behind the driver's back).
            usage.Reset(AsDictionary(trackedBefore));
            var disk = AsDictionary(onDisk);
            foreach (var change in beforeWalk)
            {
                Apply(usage, disk, change);
            }

            var started = usage.BeginWalk();
            var walked = new Dictionary<string, long>(disk);
            foreach (var change in duringWalk)
            {
                Apply(usage, disk, change);
            }

            usage.Correct(walked, started);
            usage.EndWalk();

            Assert.Equal(disk.OrderBy(p => p.Key), usage.Snapshot().OrderBy(p => p.Key));
            Assert.Equal(disk.Values.Sum(), usage.Total);
            Assert.Equal(usage.Total, reported);
        });
    }
}
