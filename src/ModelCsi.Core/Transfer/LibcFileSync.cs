using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelCsi.Core.Transfer;

/// <summary><see cref="IFileSync"/> with Linux's <c>sync_file_range(2)</c> and <c>fdatasync(2)</c>.</summary>
public sealed partial class LibcFileSync : IFileSync
{
    private const uint SyncFileRangeWrite = 2;

    public static LibcFileSync Instance { get; } = new();

    public void StartWriteback(SafeFileHandle file, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(file);
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            // Only a hint: a filesystem without it (EINVAL, ENOSYS) still gets its data synced at the end.
            _ = SyncFileRange((int)file.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    public void DataSync(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (FDataSync((int)file.DangerousGetHandle()) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);
}
