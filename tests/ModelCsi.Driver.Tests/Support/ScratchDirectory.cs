using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>A temp directory that, on dispose, unmounts anything mounted inside it before deleting it.</summary>
public sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Path = Directory.CreateTempSubdirectory("modelcsi-driver-test-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        var mounter = new LibcMounter(NullLogger<LibcMounter>.Instance);
        for (var attempt = 0; attempt < 16; attempt++)
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
            }
            catch (MountException)
            {
                // Keep going; a leftover mount makes the delete below fail loudly.
            }
        }
        Directory.Delete(Path, recursive: true);
    }
}
