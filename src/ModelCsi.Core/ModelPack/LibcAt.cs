using System.Runtime.InteropServices;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// The <c>*at</c> system calls the tar extraction makes relative to open directory handles, which Mono.Posix
/// lacks: a name is resolved inside a directory already checked and held open, never again from the root, and
/// with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW a symlink planted on the way is refused by the kernel itself.
/// Each call returns -1 and leaves errno for <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static partial class LibcAt
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int OWriteOnly = 0x1;
    public const int OCreate = 0x40;
    public const int OExclusive = 0x80;
    public const int OCloseOnExec = 0x80000;
    public const int EExist = 17;
    public const int ENoEnt = 2;
    public const int ENotDir = 20;
    public const int EIntr = 4;

    /// <summary>O_DIRECTORY: 0200000 on x86-64, 040000 on arm64.</summary>
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;

    /// <summary>O_NOFOLLOW: 0400000 on x86-64, 0100000 on arm64.</summary>
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    // futimens: leave the access time alone.
    private const long UtimeOmit = (1L << 30) - 2;

    // statx(2) mask bit for stx_mode.
    private const uint StatxType = 0x1;

    /// <summary>The S_IFMT bits of the entry <paramref name="name"/> in <paramref name="directory"/> (not following a final symlink), or -1.</summary>
    public static int FileTypeAt(int directory, string name)
    {
        return StatxBuffer.Read(directory, name, AtSymlinkNoFollow, StatxType, out var buffer) != 0 ? -1 : buffer.Mode & 0xf000;
    }

    /// <summary>Sets only the modification time of an open file (seconds and nanoseconds since the epoch).</summary>
    public static int SetModificationTime(int fd, DateTimeOffset mtime)
    {
        var ticks = mtime.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        Span<long> times = [0, UtimeOmit, seconds, remainder * 100];
        return FutimeNs(fd, times);
    }

    /// <summary>Writes all of <paramref name="data"/> at the file's current offset.</summary>
    public static unsafe void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var written = Write(fd, start + done, (nuint)(data.Length - done));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    throw new IOException($"write failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                }

                done += (int)written;
            }
        }
    }

    /// <summary>Opens the directory <paramref name="name"/> below <paramref name="parent"/>, refusing a symlink; the descriptor or -1.</summary>
    public static int OpenDirectoryAt(int parent, string name) => OpenAt(parent, name, ODirectory | ONoFollow | OCloseOnExec, 0);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int directory, string name, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int directory, string name, uint mode);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SymlinkAt(string target, int directory, string name);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkAt(int fromDirectory, string fromName, int toDirectory, string toName, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int directory, string name, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FchownAt(int directory, string name, uint owner, uint group, int flags);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int Fchown(int fd, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int FutimeNs(int fd, Span<long> times);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* data, nuint count);

    /// <summary>The message for the last failed call.</summary>
    public static string LastError()
    {
        var errno = Marshal.GetLastPInvokeError();
        return $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }
}
