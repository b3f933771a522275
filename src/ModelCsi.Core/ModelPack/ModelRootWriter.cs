using Mono.Unix.Native;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Creates files, directories and links below one model root for one layer, refusing anything that could
/// land outside it. Paths are lists of components already normalised by <see cref="Normalize"/>; every
/// existing component is checked with lstat so nothing is ever written through a symlink.
/// </summary>
internal sealed class ModelRootWriter
{
    private readonly string _root;
    private readonly string _layerDigest;

    public ModelRootWriter(string modelRoot, string layerDigest)
    {
        _root = Path.GetFullPath(modelRoot);
        _layerDigest = layerDigest;
        if (Kind(_root) != PathKind.Directory)
        {
            throw new DirectoryNotFoundException($"model root '{modelRoot}' is not an existing directory");
        }
    }

    public enum PathKind
    {
        Missing,
        Directory,
        Regular,
        Symlink,
        Other,
    }

    public string FullPath(IReadOnlyList<string> parts) => parts.Count == 0 ? _root : Path.Join(_root, string.Join('/', parts));

    /// <summary>Turns a tar entry name or annotation path into components below the root.</summary>
    public IReadOnlyList<string> Normalize(string name, ArchiveRule escapeRule = ArchiveRule.PathEscapesRoot)
    {
        if (name.StartsWith('/'))
        {
            throw Unsafe(name, escapeRule == ArchiveRule.PathEscapesRoot ? ArchiveRule.AbsolutePath : escapeRule, "absolute paths are not allowed");
        }

        var parts = new List<string>();
        foreach (var segment in name.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count == 0)
                {
                    throw Unsafe(name, escapeRule, "'..' leads outside the model root");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            if (segment.Contains('\0', StringComparison.Ordinal))
            {
                throw Unsafe(name, ArchiveRule.UnsupportedEntryType, "NUL in path");
            }

            parts.Add(segment);
        }

        return parts;
    }

    /// <summary>Creates the missing directories of <paramref name="parts"/> (all of them) with mode 0755.</summary>
    public void EnsureDirectory(string entryName, IReadOnlyList<string> parts, int count)
    {
        var path = _root;
        for (var i = 0; i < count; i++)
        {
            path = Path.Join(path, parts[i]);
            switch (Kind(path))
            {
                case PathKind.Directory:
                    break;
                case PathKind.Missing:
                    MakeDirectory(path);
                    break;
                case PathKind.Symlink:
                    throw Unsafe(entryName, ArchiveRule.WritesThroughSymlink, $"'{string.Join('/', parts.Take(i + 1))}' is a symlink");
                default:
                    throw Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, $"'{string.Join('/', parts.Take(i + 1))}' exists and is not a directory");
            }
        }
    }

    /// <summary>
    /// Makes the leaf free for a new file or link: parents exist and are real directories, and an existing
    /// regular file (from an earlier layer) is removed. Symlinks are replaced only by symlinks.
    /// </summary>
    public string PrepareLeaf(string entryName, IReadOnlyList<string> parts, bool forSymlink = false)
    {
        if (parts.Count == 0)
        {
            throw Unsafe(entryName, ArchiveRule.EmptyPath, "the entry names the model root itself");
        }

        EnsureDirectory(entryName, parts, parts.Count - 1);
        var path = FullPath(parts);
        switch (Kind(path))
        {
            case PathKind.Missing:
                break;
            case PathKind.Regular:
                File.Delete(path);
                break;
            case PathKind.Symlink when forSymlink:
                File.Delete(path);
                break;
            case PathKind.Symlink:
                throw Unsafe(entryName, ArchiveRule.WritesThroughSymlink, "the path exists as a symlink");
            default:
                throw Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, "the path exists and is not a regular file");
        }

        return path;
    }

    public string PrepareDirectory(string entryName, IReadOnlyList<string> parts)
    {
        EnsureDirectory(entryName, parts, parts.Count);
        return FullPath(parts);
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

    /// <summary>chmod without following a final symlink is impossible on Linux, so only call this on paths known not to be links.</summary>
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (Syscall.chmod(path, (FilePermissions)mode) != 0)
        {
            throw new IOException($"chmod '{path}' failed: {Stdlib.GetLastError()}");
        }
    }

    /// <summary>
    /// Checks a symlink target: relative, and resolved lexically from the link's directory it stays inside.
    /// '..' is allowed only as leading segments: after a name it would be resolved by the kernel through
    /// whatever that name is (maybe another symlink), which lexical checking cannot see.
    /// </summary>
    public void CheckSymlinkTarget(string entryName, IReadOnlyList<string> linkParts, string target)
    {
        if (target.Length == 0)
        {
            throw Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, "empty symlink target");
        }

        if (target.StartsWith('/'))
        {
            throw Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"absolute symlink target '{target}'");
        }

        var depth = linkParts.Count - 1;
        var seenName = false;
        foreach (var segment in target.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (seenName)
                {
                    throw Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"symlink target '{target}' has '..' after a name");
                }

                depth--;
                if (depth < 0)
                {
                    throw Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"symlink target '{target}' leads outside the model root");
                }

                continue;
            }

            seenName = true;
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

    public UnsafeArchiveEntryException Unsafe(string entryName, ArchiveRule rule, string detail) =>
        new(_layerDigest, entryName, rule, detail);

    public const UnixFileMode DefaultDirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode DefaultFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Permission bits only: setuid, setgid and sticky are dropped.</summary>
    public static UnixFileMode PermissionBits(long mode) => (UnixFileMode)(mode & 0x1FF);
}
