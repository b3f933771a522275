using System.Runtime.InteropServices;
using ModelCsi.Core.ModelPack;
using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Builds a model directory out of cached layers without copying bytes: regular files are hard
/// links to the cached blob or unpacked layer file, so models that share a layer share its bytes.
/// </summary>
internal static class ModelTreeLinker
{
    private const int ENoSpace = 28;
    private const uint DirectoryMode = 0b111_101_101;

    /// <summary>
    /// Hard-links every file of an unpacked layer into the model tree being assembled, recreating its directories and
    /// symlinks. Both trees are walked through open directory handles (each opened with O_NOFOLLOW through its
    /// parent's), so a link never lands through a symlink and each file costs one linkat(2), not a path resolution
    /// per component. A later layer's file replaces an earlier one's; a file where a directory is refuses the model.
    /// </summary>
    public static void LinkTree(string layerRoot, string modelRoot)
    {
        var from = OpenDirectory(LibcAt.AtFdCwd, layerRoot);
        try
        {
            var to = OpenDirectory(LibcAt.AtFdCwd, modelRoot);
            try
            {
                LinkDirectory(from, to, layerRoot, modelRoot);
            }
            finally
            {
                _ = LibcAt.Close(to);
            }
        }
        finally
        {
            _ = LibcAt.Close(from);
        }
    }

    private static void LinkDirectory(int from, int to, string sourcePath, string targetPath)
    {
        // d_type from the directory listing: no stat per entry. A symlink is reported as one, never as what it points at.
        var entries = new System.IO.Enumeration.FileSystemEnumerable<(string Name, bool Link, bool Directory)>(
            sourcePath,
            (ref System.IO.Enumeration.FileSystemEntry e) => (e.FileName.ToString(), (e.Attributes & FileAttributes.ReparsePoint) != 0, e.IsDirectory),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false });
        foreach (var (name, isLink, isDirectory) in entries)
        {
            if (isLink)
            {
                var linkTarget = new FileInfo(Path.Join(sourcePath, name)).LinkTarget ?? throw new IOException($"cannot read symlink {Path.Join(sourcePath, name)}");
                RemoveNonDirectoryAt(to, name, targetPath);
                if (LibcAt.SymlinkAt(linkTarget, to, name) != 0)
                {
                    throw new IOException($"cannot create symlink {Path.Join(targetPath, name)}: {LibcAt.LastError()}");
                }
            }
            else if (isDirectory)
            {
                MakeDirectoryAt(to, name, targetPath);
                var childFrom = OpenDirectory(from, name);
                try
                {
                    var childTo = OpenDirectory(to, name);
                    try
                    {
                        LinkDirectory(childFrom, childTo, Path.Join(sourcePath, name), Path.Join(targetPath, name));
                    }
                    finally
                    {
                        _ = LibcAt.Close(childTo);
                    }
                }
                finally
                {
                    _ = LibcAt.Close(childFrom);
                }
            }
            else
            {
                LinkFileAt(from, to, name, sourcePath, targetPath);
            }
        }
    }

    private static void LinkFileAt(int from, int to, string name, string sourcePath, string targetPath)
    {
        if (LibcAt.LinkAt(from, name, to, name, 0) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == LibcAt.EExist)
        {
            // An earlier layer has this path: the later layer's file wins, as in the image layering models follow.
            RemoveNonDirectoryAt(to, name, targetPath);
            if (LibcAt.LinkAt(from, name, to, name, 0) == 0)
            {
                return;
            }

            errno = Marshal.GetLastPInvokeError();
        }

        throw new IOException(
            $"cannot link {Path.Join(sourcePath, name)} to {Path.Join(targetPath, name)}: {Marshal.GetPInvokeErrorMessage(errno)}",
            errno == ENoSpace ? NoSpaceHResult : 0);
    }

    private static void MakeDirectoryAt(int to, string name, string targetPath)
    {
        if (LibcAt.MkdirAt(to, name, DirectoryMode) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != LibcAt.EExist)
        {
            throw new IOException($"cannot create directory {Path.Join(targetPath, name)}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        if (LibcAt.FileTypeAt(to, name) != (int)FilePermissions.S_IFDIR)
        {
            // A file or symlink of an earlier layer gives way to this layer's directory.
            RemoveNonDirectoryAt(to, name, targetPath);
            if (LibcAt.MkdirAt(to, name, DirectoryMode) != 0)
            {
                throw new IOException($"cannot create directory {Path.Join(targetPath, name)}: {LibcAt.LastError()}");
            }
        }
    }

    private static void RemoveNonDirectoryAt(int to, string name, string targetPath)
    {
        switch (LibcAt.FileTypeAt(to, name))
        {
            case -1:
                return;
            case (int)FilePermissions.S_IFDIR:
                throw new IOException($"a layer puts a file where another layer has the directory {Path.Join(targetPath, name)}");
            default:
                if (LibcAt.UnlinkAt(to, name, 0) != 0)
                {
                    throw new IOException($"cannot replace {Path.Join(targetPath, name)}: {LibcAt.LastError()}");
                }

                return;
        }
    }

    private static int OpenDirectory(int parent, string name)
    {
        var fd = LibcAt.OpenDirectoryAt(parent, name);
        return fd >= 0 ? fd : throw new IOException($"cannot open directory {name}: {LibcAt.LastError()}");
    }

    public static void MakeReadableByAll(string path)
    {
        if (Syscall.lstat(path, out var stat) != 0)
        {
            throw new IOException($"cannot stat {path}: {Stdlib.GetLastError()}");
        }

        var type = stat.st_mode & FilePermissions.S_IFMT;
        if (type == FilePermissions.S_IFLNK)
        {
            return;
        }

        var wanted = type == FilePermissions.S_IFDIR ? ReadAndSearch : ReadOnly;
        var permissions = stat.st_mode & FilePermissions.ACCESSPERMS;
        if ((permissions & wanted) != wanted && Syscall.chmod(path, permissions | wanted) != 0)
        {
            throw new IOException($"cannot chmod {path}: {Stdlib.GetLastError()}");
        }

        if (type == FilePermissions.S_IFDIR)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(path))
            {
                MakeReadableByAll(entry);
            }
        }
    }

    private const FilePermissions ReadOnly = FilePermissions.S_IRUSR | FilePermissions.S_IRGRP | FilePermissions.S_IROTH;

    private const FilePermissions ReadAndSearch = ReadOnly | FilePermissions.S_IXUSR | FilePermissions.S_IXGRP | FilePermissions.S_IXOTH;

    /// <summary>HResult .NET gives IOExceptions for ENOSPC on Unix.</summary>
    internal const int NoSpaceHResult = 28;
}
