using Mono.Unix.Native;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The one full measurement of the cache's content: at start and for the periodic drift correction, never under
/// the store's gate. What it counts is what <see cref="CacheUsage"/> tracks between walks.
/// </summary>
internal static class CacheWalk
{
    /// <summary>Every blob file (partial or not) and every unpacked layer directory, with its size on disk.</summary>
    public static Dictionary<string, long> Measure(CacheLayout layout)
    {
        var usage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(layout.Blobs).EnumerateFiles())
        {
            usage[file.FullName] = file.Length;
        }

        foreach (var dir in Directory.EnumerateDirectories(layout.Layers))
        {
            usage[Path.GetFullPath(dir)] = LayerBytes(dir);
        }

        return usage;
    }

    /// <summary>
    /// Bytes of the regular files under an unpacked layer, each inode once: a tar's hard-link entries add no
    /// bytes (the unpacker reports what it wrote the same way), and links are never followed.
    /// </summary>
    public static long LayerBytes(string root)
    {
        long bytes = 0;
        var seen = new HashSet<(ulong Device, ulong Inode)>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.TryPop(out var directory))
        {
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(directory).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (Syscall.lstat(entry, out var stat) != 0)
                {
                    continue;
                }

                var type = stat.st_mode & FilePermissions.S_IFMT;
                if (type == FilePermissions.S_IFDIR)
                {
                    pending.Push(entry);
                }
                else if (type == FilePermissions.S_IFREG && (stat.st_nlink <= 1 || seen.Add((stat.st_dev, stat.st_ino))))
                {
                    bytes += stat.st_size;
                }
            }
        }

        return bytes;
    }
}
