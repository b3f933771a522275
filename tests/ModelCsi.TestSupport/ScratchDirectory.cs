using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;

namespace ModelCsi.TestSupport;

/// <summary>A temp directory that, on dispose, unmounts anything mounted inside it (tests mount for real) before deleting it.</summary>
public sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Directory.CreateDirectory(Root);
        Path = System.IO.Path.Combine(Root, "modelcsi-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>
    /// Where every scratch directory lives: what tests pass as the driver's kubelet directory, so the targets of
    /// any test lie under it as pods' do under /var/lib/kubelet.
    /// </summary>
    public static string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelcsi-scratch");

    public string Path { get; }

    private bool _disposed;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Idempotent: a test may dispose it and so may the driver process it was lent to.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var mounter = new LibcMounter(NullLogger<LibcMounter>.Instance);
        // Innermost (and most recent) first, so nested and stacked mounts come apart.
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
                // Keep trying the rest; a leftover mount is reported by the delete below.
            }
        }
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
