using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelCsi.Core.Transfer;

/// <summary><see cref="IFileSync"/> with Linux's <c>sync_file_range(2)</c>, <c>fdatasync(2)</c>, <c>fsync(2)</c> and <c>syncfs(2)</c>.</summary>
public sealed partial class LibcFileSync : IFileSync
{
    private const uint SyncFileRangeWrite = 2;

    // O_RDONLY | O_CLOEXEC (the same values on x86_64 and arm64); a directory opens read-only without O_DIRECTORY.
    private const int OpenReadOnlyCloseOnExec = 0x80000;

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

    public void SyncDirectory(string path) => OnOpenDirectory(path, "fsync", FSync);

    public void SyncFileSystem(string path) => OnOpenDirectory(path, "syncfs", SyncFs);

    private static void OnOpenDirectory(string path, string call, Func<int, int> sync)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fd = Open(path, OpenReadOnlyCloseOnExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"open {path} for {call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        try
        {
            if (sync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"{call} {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);
}
