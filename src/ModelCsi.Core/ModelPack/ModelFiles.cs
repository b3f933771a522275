using Mono.Unix.Native;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// The file-system steps a model tree is made of, by path or on an open descriptor: create without following
/// links, make directories, seal files and directories read-only and root's, tell what a path is. The modes
/// here are the promise <see cref="ModelRootWriter"/> documents: nothing in a cached model is writable.
/// </summary>
internal static class ModelFiles
{
    public const UnixFileMode SealedFileMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode SealedExecutableMode = SealedFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public const UnixFileMode SealedDirectoryMode = SealedExecutableMode;

    public static readonly bool RunningAsRoot = Syscall.geteuid() == 0;

    /// <summary>Seals a file just written, on its descriptor: mtime, then 0444 (0555 when executable), then root's.</summary>
    public static void FinishFile(int fd, string path, DateTimeOffset mtime, bool executable)
    {
        if (LibcAt.SetModificationTime(fd, mtime) != 0)
        {
            throw new IOException($"set mtime of '{path}' failed: {LibcAt.LastError()}");
        }

        if (LibcAt.Fchmod(fd, (uint)(executable ? SealedExecutableMode : SealedFileMode)) != 0)
        {
            throw new IOException($"chmod '{path}' failed: {LibcAt.LastError()}");
        }

        if (RunningAsRoot && LibcAt.Fchown(fd, 0, 0) != 0)
        {
            throw new IOException($"chown '{path}' failed: {LibcAt.LastError()}");
        }
    }

    /// <summary>
    /// Opens a new file with O_CREAT|O_EXCL|O_NOFOLLOW, so neither an existing file nor a symlink planted
    /// since the lstat check is ever written through. The caller sets the final mode after writing.
    /// </summary>
    public static FileStream CreateFile(string path)
    {
        var fd = Syscall.open(
            path,
            OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC,
            FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd < 0)
        {
            throw new IOException($"create '{path}' failed: {Stdlib.GetLastError()}");
        }

        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 0);
    }

    public static void MakeDirectory(string path)
    {
        if (Syscall.mkdir(path, (FilePermissions)DefaultDirectoryMode) != 0)
        {
            var errno = Stdlib.GetLastError();
            if (errno != Errno.EEXIST || Kind(path) != PathKind.Directory)
            {
                throw new IOException($"mkdir '{path}' failed: {errno}");
            }
        }

        // mkdir's mode passes through the umask; the mode we promise does not depend on it.
        SetMode(path, DefaultDirectoryMode);
    }

    /// <summary>Makes a file just written read-only for everyone (r-x when <paramref name="executable"/>) and root's.</summary>
    public static void SealFile(string path, bool executable)
    {
        SetMode(path, executable ? SealedExecutableMode : SealedFileMode);
        OwnByRoot(path);
    }

    /// <summary>When running as root, gives the path (never a symlink's target) to uid 0 and gid 0.</summary>
    public static void OwnByRoot(string path)
    {
        if (RunningAsRoot && Syscall.lchown(path, 0, 0) != 0)
        {
            throw new IOException($"chown '{path}' failed: {Stdlib.GetLastError()}");
        }
    }

    /// <summary>chmod without following a final symlink is impossible on Linux, so only call this on paths known not to be links.</summary>
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (Syscall.chmod(path, (FilePermissions)mode) != 0)
        {
            throw new IOException($"chmod '{path}' failed: {Stdlib.GetLastError()}");
        }
    }

    public static PathKind Kind(string path)
    {
        if (Syscall.lstat(path, out var stat) != 0)
        {
            var errno = Stdlib.GetLastError();
            return errno is Errno.ENOENT or Errno.ENOTDIR
                ? PathKind.Missing
                : throw new IOException($"lstat '{path}' failed: {errno}");
        }

        return (stat.st_mode & FilePermissions.S_IFMT) switch
        {
            FilePermissions.S_IFDIR => PathKind.Directory,
            FilePermissions.S_IFREG => PathKind.Regular,
            FilePermissions.S_IFLNK => PathKind.Symlink,
            _ => PathKind.Other,
        };
    }

    public static void HardLink(string existingPath, string newPath)
    {
        if (Syscall.link(existingPath, newPath) != 0)
        {
            throw new IOException($"link '{newPath}' -> '{existingPath}' failed: {Stdlib.GetLastError()}");
        }
    }

    /// <summary>The mode of a directory while layers are written into it.</summary>
    public const UnixFileMode DefaultDirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Whether a tar or annotation mode has any execute bit.</summary>
    public static bool IsExecutable(long mode) => (mode & 0b001_001_001) != 0;
}
