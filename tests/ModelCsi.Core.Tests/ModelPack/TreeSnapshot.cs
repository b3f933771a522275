using System.Text;
using Mono.Unix.Native;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Everything about an extracted tree a user could tell apart, as text: per path its type, mode, owner, mtime
/// (nanoseconds), content hash or link target, and which paths are hard links of each other. Two trees with
/// equal snapshots are the same tree.
/// </summary>
internal static class TreeSnapshot
{
    public static string Of(string root)
    {
        var lines = new List<string>();
        var inodes = new Dictionary<ulong, string>();
        Walk(root, string.Empty, lines, inodes);
        return string.Join('\n', lines);
    }

    private static void Walk(string root, string relative, List<string> lines, Dictionary<ulong, string> inodes)
    {
        foreach (var path in Directory.GetFileSystemEntries(Path.Join(root, relative)).Order(StringComparer.Ordinal))
        {
            var childRelative = Path.GetRelativePath(root, path);
            if (Syscall.lstat(path, out var stat) != 0)
            {
                throw new IOException($"lstat {path}: {Stdlib.GetLastError()}");
            }

            var mode = Convert.ToString((int)stat.st_mode & 0xfff, 8);
            var mtime = $"{stat.st_mtime}.{stat.st_mtime_nsec:D9}";
            var owner = $"{stat.st_uid}:{stat.st_gid}";
            switch (stat.st_mode & FilePermissions.S_IFMT)
            {
                case FilePermissions.S_IFDIR:
                    lines.Add($"dir {childRelative} {mode} {owner} {mtime}");
                    Walk(root, childRelative, lines, inodes);
                    break;
                case FilePermissions.S_IFREG:
                    var link = inodes.TryGetValue(stat.st_ino, out var first) ? $" same-inode-as {first}" : string.Empty;
                    inodes.TryAdd(stat.st_ino, childRelative);
                    var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
                    lines.Add($"file {childRelative} {mode} {owner} {mtime} links={stat.st_nlink} {hash}{link}");
                    break;
                case FilePermissions.S_IFLNK:
                    var target = new StringBuilder(4096);
                    var length = Syscall.readlink(path, target);
                    lines.Add($"symlink {childRelative} {owner} -> {target.ToString(0, (int)length)}");
                    break;
                default:
                    lines.Add($"other {childRelative}");
                    break;
            }
        }
    }
}
