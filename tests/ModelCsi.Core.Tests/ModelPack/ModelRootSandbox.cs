using Xunit;
using Mono.Unix.Native;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// A temp directory holding the model root and a sentinel sibling; hostile layers aim at the sentinel,
/// so "nothing was written outside the root" is checked by the sentinel staying empty.
/// </summary>
internal sealed class ModelRootSandbox : IDisposable
{
    public ModelRootSandbox()
    {
        Base = Path.Join(Path.GetTempPath(), "modelcsi-test-" + Guid.NewGuid().ToString("N"));
        Root = Path.Join(Base, "model");
        Sentinel = Path.Join(Base, "sentinel");
        Work = Path.Join(Base, "work");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Sentinel);
    }

    public string Base { get; }

    public string Root { get; }

    public string Sentinel { get; }

    public string Work { get; }

    public string InRoot(string relative) => Path.Join(Root, relative);

    /// <summary>The sentinel is empty and the base holds nothing but the fixture directories (root, sentinel, work, packer source).</summary>
    public void AssertNothingOutsideRoot()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Sentinel));
        var siblings = Directory.EnumerateFileSystemEntries(Base).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.All(siblings, name => Assert.Contains(name, new[] { "model", "sentinel", "work", "source", "empty" }));
    }

    public static int ModeOf(string path)
    {
        Assert.Equal(0, Syscall.lstat(path, out var stat));
        return (int)stat.st_mode & 0xFFF;
    }

    public static bool IsSymlink(string path) =>
        Syscall.lstat(path, out var stat) == 0 && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFLNK;

    public void Dispose()
    {
        // Directory.Delete removes symlinks without following them.
        if (Directory.Exists(Base))
        {
            Directory.Delete(Base, recursive: true);
        }
    }
}
