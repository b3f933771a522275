using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Builds a model directory out of cached layers without copying bytes: regular files are hard
/// links to the cached blob or unpacked layer file, so models that share a layer share its bytes.
/// </summary>
internal static class ModelTreeLinker
{
    /// <summary>Links every entry of an unpacked layer tree into the model directory; later layers win.</summary>
    public static void LinkTree(string layerRoot, string modelRoot) => LinkDirectory(layerRoot, modelRoot, string.Empty);

    // Walks by hand with lstat: the framework's recursive enumeration descends into symlinked
    // directories, which would link a layer's files a second time under the link's name.
    private static void LinkDirectory(string layerRoot, string modelRoot, string relativeDirectory)
    {
        foreach (var source in Directory.EnumerateFileSystemEntries(Path.Combine(layerRoot, relativeDirectory)))
        {
            var relative = Path.GetRelativePath(layerRoot, source);
            var target = Path.Combine(modelRoot, relative);
            EnsureNoSymlinkOnPath(modelRoot, relative);
            if (Syscall.lstat(source, out var stat) != 0)
            {
                throw new IOException($"cannot stat {source}: {Stdlib.GetLastError()}");
            }

            switch (stat.st_mode & FilePermissions.S_IFMT)
            {
                case FilePermissions.S_IFDIR:
                    if (new FileInfo(target).LinkTarget is not null || !Directory.Exists(target))
                    {
                        RemoveNonDirectory(target);
                        Directory.CreateDirectory(target);
                    }

                    LinkDirectory(layerRoot, modelRoot, relative);
                    break;
                case FilePermissions.S_IFREG:
                    LinkFile(source, target);
                    break;
                case FilePermissions.S_IFLNK:
                    RemoveNonDirectory(target);
                    var linkTarget = new FileInfo(source).LinkTarget
                        ?? throw new IOException($"cannot read symlink {source}");
                    File.CreateSymbolicLink(target, linkTarget);
                    break;
                default:
                    throw new IOException($"unexpected file type in cached layer: {source}");
            }
        }
    }

    private static void LinkFile(string source, string target)
    {
        RemoveNonDirectory(target);
        if (Syscall.link(source, target) != 0)
        {
            var errno = Stdlib.GetLastError();
            throw new IOException($"cannot link {source} to {target}: {errno}", errno == Errno.ENOSPC ? NoSpaceHResult : 0);
        }
    }

    /// <summary>
    /// Makes every file readable and every directory searchable by all: pods often run as a non-root
    /// user, and a model whose archive says 0600 or 0700 would otherwise mount unreadable. Nothing
    /// becomes writable (the mount is read-only anyway) and no execute bit is added to files.
    /// </summary>
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

    private static void RemoveNonDirectory(string target)
    {
        var info = new FileInfo(target);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(target))
        {
            throw new IOException($"a layer puts a file where another layer has the directory {target}");
        }
    }

    /// <summary>
    /// Every parent component of the path must be a real directory (or not exist yet): a symlink
    /// from an earlier layer must never redirect a later layer's file.
    /// </summary>
    private static void EnsureNoSymlinkOnPath(string modelRoot, string relativePath)
    {
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = modelRoot;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i] is "." or "..")
            {
                throw new IOException($"path '{relativePath}' leaves the model directory");
            }

            current = Path.Combine(current, parts[i]);
            if (new FileInfo(current).LinkTarget is not null)
            {
                throw new IOException($"path '{relativePath}' goes through the symlink '{Path.GetRelativePath(modelRoot, current)}'");
            }
        }
    }
}
