using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Builds a model directory out of cached layers without copying bytes: regular files are hard
/// links to the cached blob or unpacked layer file, so models that share a layer share its bytes.
/// </summary>
internal static class ModelTreeLinker
{
    /// <summary>Links every entry of an unpacked layer tree into the model directory; later layers win.</summary>
    public static void LinkTree(string layerRoot, string modelRoot)
    {
        foreach (var source in Directory.EnumerateFileSystemEntries(layerRoot, "*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true,
                     AttributesToSkip = 0,
                     IgnoreInaccessible = false,
                     ReturnSpecialDirectories = false,
                 }))
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
                    if (!Directory.Exists(target))
                    {
                        RemoveNonDirectory(target);
                        Directory.CreateDirectory(target);
                    }

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

    /// <summary>Hard-links one cached file to a relative path inside the model directory.</summary>
    public static void LinkFile(string source, string modelRoot, string relativePath)
    {
        EnsureNoSymlinkOnPath(modelRoot, relativePath);
        var target = Path.Combine(modelRoot, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        LinkFile(source, target);
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
