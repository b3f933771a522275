using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The benchmark's temp directory (model files, driver root, kubelet targets). Disposing it always
/// unmounts whatever is still mounted inside, then deletes it unless asked to keep it.
/// </summary>
public sealed class WorkDirectory(bool keep) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("modelcsi-bench-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Unmounts everything under the directory, deepest first; returns how many mounts were left.</summary>
    public int UnmountAll()
    {
        var mounter = new LibcMounter(NullLogger<LibcMounter>.Instance);
        var removed = 0;
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var mounts = MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo"))
                .Where(m => m.MountPoint.StartsWith(Path + "/", StringComparison.Ordinal))
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
