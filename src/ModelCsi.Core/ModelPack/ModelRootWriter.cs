using System.Text;
using Mono.Unix.Native;
using static ModelCsi.Core.ModelPack.ModelFiles;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Creates files, directories and links below one model root for one layer, refusing anything that could
/// land outside it. Paths are lists of components already normalised by <see cref="Normalize"/>. Tar files,
/// directories and symlinks are created relative to open directory handles, each component opened with
/// O_NOFOLLOW through its parent's (<see cref="DirectoryHandle"/>); raw files and hard links check every
/// existing component with lstat. Either way nothing is ever written through a symlink.
/// </summary>
/// <remarks>
/// Whatever modes the artifact asks for, what it leaves is read-only for everyone and owned by root when we run as
/// root: files 0444 (0555 when a tar entry was executable), directories 0555 once the layer is done
/// (<see cref="SealDirectories"/>). Pods share these files through read-only binds, and a host user must not be
/// able to change a model under them. While a layer is written, the directories it touches are 0755.
/// </remarks>
internal sealed class ModelRootWriter : IDisposable
{
    // Open directory handles kept for the *at calls, bounded so a tree of many directories cannot exhaust descriptors.
    private const int MaxOpenDirectoryHandles = 256;

    /// <summary>Linux PATH_MAX: longer paths cannot be opened, so such entries are refused up front.</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Linux NAME_MAX for one path component.</summary>
    public const int MaxComponentBytes = 255;

    private readonly string _root;
    private readonly string _layerDigest;

    // Directories this layer created or wrote into: opened (0755) on first use, sealed (0555) when the layer is done.
    private readonly HashSet<string> _openDirectories = new(StringComparer.Ordinal);

    // Relative directory path ("" for the root) -> an open handle, each opened with O_NOFOLLOW through its parent's handle.
    private readonly Dictionary<string, int> _directoryHandles = new(StringComparer.Ordinal);

    public ModelRootWriter(string modelRoot, string layerDigest)
    {
        _root = Path.GetFullPath(modelRoot);
        _layerDigest = layerDigest;
        if (Kind(_root) != PathKind.Directory)
        {
            throw new DirectoryNotFoundException($"model root '{modelRoot}' is not an existing directory");
        }
    }

    /// <summary>Told every path (relative, '/'-separated) this writer is about to create: the journal of a resumable extraction.</summary>
    public Action<string>? Created { get; init; }

    /// <summary>Told before this writer deletes an existing path to replace it: a resumable extraction retracts its checkpoint.</summary>
    public Action? Replacing { get; init; }

    public string FullPath(IReadOnlyList<string> parts) => parts.Count == 0 ? _root : Path.Join(_root, string.Join('/', parts));

    /// <summary>Turns a tar entry name or annotation path into components below the root.</summary>
    public IReadOnlyList<string> Normalize(string name, ArchiveRule escapeRule = ArchiveRule.PathEscapesRoot)
    {
        // Length first: a pax header can carry a name of any size, and everything below is linear in it.
        if (name.Length > MaxPathBytes || Encoding.UTF8.GetByteCount(name) > MaxPathBytes)
        {
            throw Unsafe(name, ArchiveRule.PathTooLong, $"the name is longer than {MaxPathBytes} bytes");
        }

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

            if (Encoding.UTF8.GetByteCount(segment) > MaxComponentBytes)
            {
                throw Unsafe(name, ArchiveRule.PathTooLong, $"a path component is longer than {MaxComponentBytes} bytes");
            }

            parts.Add(segment);
        }

        if (Encoding.UTF8.GetByteCount(FullPath(parts)) >= MaxPathBytes)
        {
            throw Unsafe(name, ArchiveRule.PathTooLong, $"below the model root the path is longer than {MaxPathBytes} bytes");
        }

        return parts;
    }

    /// <summary>A leaf to create: its directory's open handle, its name in it, and its full path (for messages and cleanup).</summary>
    public readonly record struct Leaf(int Directory, string Name, string Path);

    /// <summary>
    /// The handle of the directory <c>parts[..count]</c>, creating missing directories (0755) on the way. Each
    /// component is opened relative to its parent's handle with O_DIRECTORY|O_NOFOLLOW, so the kernel refuses a
    /// symlink or a non-directory anywhere on the path; the refusal is then named by the same rules as the
    /// lstat checks of <see cref="EnsureDirectory"/>. Handles stay open for the next entry in the same directory:
    /// its parents are not resolved again.
    /// </summary>
    public int DirectoryHandle(string entryName, IReadOnlyList<string> parts, int count)
    {
        var key = count == 0 ? string.Empty : Key(parts, count);
        if (_directoryHandles.TryGetValue(key, out var cached))
        {
            return cached;
        }

        int fd;
        if (count == 0)
        {
            fd = LibcAt.OpenDirectoryAt(LibcAt.AtFdCwd, _root);
            if (fd < 0)
            {
                throw new IOException($"open model root '{_root}' failed: {LibcAt.LastError()}");
            }
        }
        else
        {
            var parent = DirectoryHandle(entryName, parts, count - 1);
            var name = parts[count - 1];
            var path = Path.Join(_root, key);
            fd = LibcAt.OpenDirectoryAt(parent, name);
            if (fd < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == LibcAt.ENoEnt)
            {
                Created?.Invoke(key);
                if (LibcAt.MkdirAt(parent, name, (uint)DefaultDirectoryMode) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != LibcAt.EExist)
                {
                    throw new IOException($"mkdir '{path}' failed: {LibcAt.LastError()}");
                }

                fd = LibcAt.OpenDirectoryAt(parent, name);
            }

            if (fd < 0)
            {
                var detail = $"'{ValueExcerpt.Of(key)}'";
                throw LibcAt.FileTypeAt(parent, name) switch
                {
                    (int)FilePermissions.S_IFLNK => Unsafe(entryName, ArchiveRule.WritesThroughSymlink, $"{detail} is a symlink"),
                    (int)FilePermissions.S_IFREG => Unsafe(entryName, ArchiveRule.ConflictsWithEarlierEntry, $"{detail} is a file, not a directory"),
                    -1 => new IOException($"open directory '{path}' failed: {LibcAt.LastError()}"),
                    _ => Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, $"{detail} exists and is not a directory"),
                };
            }

            // Created now, or sealed by an earlier layer: writable while this layer writes (mkdir's mode passed the umask).
            if (_openDirectories.Add(path) && LibcAt.Fchmod(fd, (uint)DefaultDirectoryMode) != 0)
            {
                var error = LibcAt.LastError();
                _ = LibcAt.Close(fd);
                throw new IOException($"chmod '{path}' failed: {error}");
            }
        }

        if (_directoryHandles.Count >= MaxOpenDirectoryHandles)
        {
            CloseDirectoryHandles();
        }

        _directoryHandles[key] = fd;
        return fd;
    }

    /// <summary>A directory entry: the directory and its parents exist (see <see cref="DirectoryHandle"/>).</summary>
    public string PrepareDirectoryAt(string entryName, IReadOnlyList<string> parts)
    {
        DirectoryHandle(entryName, parts, parts.Count);
        return FullPath(parts);
    }

    /// <summary>The leaf of <paramref name="parts"/> in its (existing or created) directory; what is there already is dealt with when creating.</summary>
    public Leaf PrepareLeafAt(string entryName, IReadOnlyList<string> parts)
    {
        if (parts.Count == 0)
        {
            throw Unsafe(entryName, ArchiveRule.EmptyPath, "the entry names the model root itself");
        }

        var directory = DirectoryHandle(entryName, parts, parts.Count - 1);
        Created?.Invoke(Key(parts, parts.Count));
        return new Leaf(directory, parts[^1], FullPath(parts));
    }

    /// <summary>
    /// Creates the leaf as a new file (O_CREAT|O_EXCL|O_NOFOLLOW, 0600 until <see cref="FinishFile"/>) and returns its
    /// descriptor. An existing regular file (an earlier layer's, or an earlier entry's) is replaced; anything else is refused.
    /// </summary>
    public int CreateFileAt(string entryName, Leaf leaf)
    {
        const int flags = LibcAt.OCreate | LibcAt.OExclusive | LibcAt.OWriteOnly | LibcAt.OCloseOnExec;
        var fd = LibcAt.OpenAt(leaf.Directory, leaf.Name, flags | LibcAt.ONoFollow, 0b110_000_000);
        if (fd < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == LibcAt.EExist)
        {
            RemoveExisting(entryName, leaf, forSymlink: false);
            fd = LibcAt.OpenAt(leaf.Directory, leaf.Name, flags | LibcAt.ONoFollow, 0b110_000_000);
        }

        return fd >= 0 ? fd : throw new IOException($"create '{leaf.Path}' failed: {LibcAt.LastError()}");
    }

    /// <summary>Creates the leaf as a symlink (replacing an existing file or symlink) owned by root.</summary>
    public void SymlinkAt(string entryName, Leaf leaf, string target)
    {
        if (LibcAt.SymlinkAt(target, leaf.Directory, leaf.Name) != 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != LibcAt.EExist)
            {
                throw new IOException($"symlink '{leaf.Path}' failed: {LibcAt.LastError()}");
            }

            RemoveExisting(entryName, leaf, forSymlink: true);
            if (LibcAt.SymlinkAt(target, leaf.Directory, leaf.Name) != 0)
            {
                throw new IOException($"symlink '{leaf.Path}' failed: {LibcAt.LastError()}");
            }
        }

        if (RunningAsRoot && LibcAt.FchownAt(leaf.Directory, leaf.Name, 0, 0, LibcAt.AtSymlinkNoFollow) != 0)
        {
            throw new IOException($"chown '{leaf.Path}' failed: {LibcAt.LastError()}");
        }
    }

    /// <summary>The rules of <see cref="PrepareLeaf"/> for what already holds the leaf's name.</summary>
    private void RemoveExisting(string entryName, Leaf leaf, bool forSymlink)
    {
        switch (LibcAt.FileTypeAt(leaf.Directory, leaf.Name))
        {
            case -1:
                // Gone since: the retried create decides.
                return;
            case (int)FilePermissions.S_IFREG:
            case (int)FilePermissions.S_IFLNK when forSymlink:
                Replacing?.Invoke();
                if (LibcAt.UnlinkAt(leaf.Directory, leaf.Name, 0) != 0)
                {
                    throw new IOException($"unlink '{leaf.Path}' failed: {LibcAt.LastError()}");
                }

                return;
            case (int)FilePermissions.S_IFLNK:
                throw Unsafe(entryName, ArchiveRule.WritesThroughSymlink, "the path exists as a symlink");
            case (int)FilePermissions.S_IFDIR:
                throw Unsafe(entryName, ArchiveRule.ConflictsWithEarlierEntry, "the path is a directory, not a file");
            default:
                throw Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, "the path exists and is not a regular file");
        }
    }

    private static string Key(IReadOnlyList<string> parts, int count)
    {
        if (count == parts.Count)
        {
            return string.Join('/', parts);
        }

        return string.Join('/', parts.Take(count));
    }

    private void CloseDirectoryHandles()
    {
        foreach (var fd in _directoryHandles.Values)
        {
            _ = LibcAt.Close(fd);
        }

        _directoryHandles.Clear();
    }

    public void Dispose() => CloseDirectoryHandles();

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
                    // An earlier layer sealed it; a process without CAP_DAC_OVERRIDE could not write into it.
                    if (_openDirectories.Add(path))
                    {
                        SetMode(path, DefaultDirectoryMode);
                    }

                    break;
                case PathKind.Missing:
                    Created?.Invoke(string.Join('/', parts.Take(i + 1)));
                    MakeDirectory(path);
                    _openDirectories.Add(path);
                    break;
                case PathKind.Symlink:
                    throw Unsafe(entryName, ArchiveRule.WritesThroughSymlink, $"'{ValueExcerpt.Of(string.Join('/', parts.Take(i + 1)))}' is a symlink");
                case PathKind.Regular:
                    throw Unsafe(entryName, ArchiveRule.ConflictsWithEarlierEntry, $"'{ValueExcerpt.Of(string.Join('/', parts.Take(i + 1)))}' is a file, not a directory");
                default:
                    throw Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, $"'{ValueExcerpt.Of(string.Join('/', parts.Take(i + 1)))}' exists and is not a directory");
            }
        }
    }

    /// <summary>
    /// Makes the leaf free for a new file or link: parents exist and are real directories, and an existing
    /// regular file (from an earlier layer) is removed.
    /// </summary>
    public string PrepareLeaf(string entryName, IReadOnlyList<string> parts)
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
                Replacing?.Invoke();
                File.Delete(path);
                break;
            case PathKind.Symlink:
                throw Unsafe(entryName, ArchiveRule.WritesThroughSymlink, "the path exists as a symlink");
            case PathKind.Directory:
                throw Unsafe(entryName, ArchiveRule.ConflictsWithEarlierEntry, "the path is a directory, not a file");
            default:
                throw Unsafe(entryName, ArchiveRule.ReplacesNonRegularFile, "the path exists and is not a regular file");
        }

        Created?.Invoke(string.Join('/', parts));
        return path;
    }

    /// <summary>Takes a directory an earlier attempt of this layer created (resuming) as this writer's: opened now, sealed at the end.</summary>
    public void Adopt(string relativeDirectory)
    {
        var path = Path.Join(_root, relativeDirectory);
        if (_openDirectories.Add(path))
        {
            SetMode(path, DefaultDirectoryMode);
        }
    }

    /// <summary>Makes every directory this layer created or wrote into 0555 and root's.</summary>
    public void SealDirectories()
    {
        foreach (var directory in _openDirectories)
        {
            SetMode(directory, SealedDirectoryMode);
            OwnByRoot(directory);
        }

        _openDirectories.Clear();
    }

    /// <summary>
    /// Checks a symlink target: relative, and resolved lexically from the link's directory it stays inside.
    /// '..' is allowed only as leading segments: after a name it would be resolved by the kernel through
    /// whatever that name is (maybe another symlink), which lexical checking cannot see.
    /// </summary>
    public void CheckSymlinkTarget(string entryName, IReadOnlyList<string> linkParts, string target) =>
        SymlinkTargetRule.Check(this, entryName, linkParts, target);

    public UnsafeArchiveEntryException Unsafe(string entryName, ArchiveRule rule, string detail) =>
        new(_layerDigest, entryName, rule, detail);
}
