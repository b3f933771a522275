using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The benchmark's directory for what is measured (driver roots, kubelet targets, peers' output), inside
/// <c>--work-dir</c> (bench.sh's own ext4 loop filesystem) or the temp dir. Disposing it always unmounts
/// whatever is still mounted inside, then deletes it unless asked to keep it.
/// </summary>
public sealed class WorkDirectory(string? parent, bool keep) : IDisposable
{
    public string Path { get; } = parent is null
        ? Directory.CreateTempSubdirectory("modelcsi-bench-").FullName
        : Directory.CreateDirectory(System.IO.Path.Combine(parent, "bench-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Unmounts everything under <paramref name="under"/> (default: all of it), deepest first; returns how many.</summary>
    public int UnmountAll(string? under = null)
    {
        var root = under ?? Path;
        var mounter = new LibcMounter(NullLogger<LibcMounter>.Instance);
        var removed = 0;
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            var mounts = MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo"))
                .Where(m => m.MountPoint.StartsWith(root + "/", StringComparison.Ordinal))
                .ToList();
            if (mounts.Count == 0)
            {
                break;
            }

            try
            {
                mounter.Unmount(mounts[^1].MountPoint);
                removed++;
            }
            catch (MountException e)
            {
                Console.Error.WriteLine($"could not unmount {mounts[^1].MountPoint}: {e.Message}");
                break;
            }
        }

        return removed;
    }

    public void Dispose()
    {
        UnmountAll();
        if (!keep)
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
