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
}
