using Microsoft.Win32.SafeHandles;
using ModelCsi.Core.Transfer;

namespace ModelCsi.Core.Tests.Transfer;

/// <summary>Records the durability calls in order, with the file's length at each (then does the real call).</summary>
internal sealed class RecordingFileSync(List<string> journal) : IFileSync
{
    public void StartWriteback(SafeFileHandle file, long offset, long length)
    {
        lock (journal)
        {
            journal.Add($"writeback {offset}+{length}");
        }

        LibcFileSync.Instance.StartWriteback(file, offset, length);
    }

    public void DataSync(SafeFileHandle file)
    {
        LibcFileSync.Instance.DataSync(file);
        lock (journal)
        {
            journal.Add($"datasync length={RandomAccess.GetLength(file)}");
        }
    }

    public void SyncDirectory(string path)
    {
        LibcFileSync.Instance.SyncDirectory(path);
        lock (journal)
        {
            journal.Add($"syncdir {path}");
        }
    }

    public void SyncFileSystem(string path)
    {
        LibcFileSync.Instance.SyncFileSystem(path);
        lock (journal)
        {
            journal.Add($"syncfs {path}");
        }
    }
}
