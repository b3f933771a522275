using Microsoft.Win32.SafeHandles;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// Makes the real durability calls and records, at each, which layers, blobs and model records were in place:
/// a power loss cannot be simulated, but the order of syncs and completions can be checked.
/// </summary>
internal sealed class SnapshottingFileSync(CacheLayout layout) : IFileSync
{
    private readonly List<SyncCall> _calls = [];

    public IReadOnlyList<SyncCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    // Writeback hints change nothing about what is durable; they are not recorded.
    public void StartWriteback(SafeFileHandle file, long offset, long length) => LibcFileSync.Instance.StartWriteback(file, offset, length);

    public void DataSync(SafeFileHandle file)
    {
        LibcFileSync.Instance.DataSync(file);
        Record("datasync", null, RandomAccess.GetLength(file));
    }

    public void SyncDirectory(string path)
    {
        LibcFileSync.Instance.SyncDirectory(path);
        Record("syncdir", path, 0);
    }

    public void SyncFileSystem(string path)
    {
        LibcFileSync.Instance.SyncFileSystem(path);
        Record("syncfs", path, 0);
    }

    private void Record(string kind, string? path, long length)
    {
        var call = new SyncCall(
            kind,
            path,
            length,
            Directory.EnumerateFiles(layout.Index, "*.json").Any(),
            Directory.EnumerateDirectories(layout.Layers).Select(Path.GetFileName).ToHashSet()!,
            Directory.EnumerateFiles(layout.Blobs).Select(Path.GetFileName).Where(n => !n!.Contains('.', StringComparison.Ordinal)).ToHashSet()!,
            // Work in progress: tmp/, and the partial directories plain tar layers are extracted in.
            new DirectoryInfo(layout.Temp).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                + new DirectoryInfo(layout.Layers).EnumerateDirectories("*.partial").Sum(d => d.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)));
        lock (_calls)
        {
            _calls.Add(call);
        }
    }
}
