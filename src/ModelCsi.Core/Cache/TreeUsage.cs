namespace ModelCsi.Core.Cache;

/// <summary>
/// Bytes of regular files and count of entries under a directory (itself included). Symbolic links are
/// counted but never followed: the framework's recursive enumeration would follow a link to a directory,
/// straight out of a model.
/// </summary>
public readonly record struct TreeUsage(long Bytes, long Entries)
{
    public static TreeUsage Measure(string root)
    {
        long bytes = 0;
        long entries = 1;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = true };
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos("*", options))
            {
                entries++;
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo child)
                {
                    pending.Push(child);
                }
                else if (entry is FileInfo file)
                {
                    bytes += file.Length;
                }
            }
        }

        return new TreeUsage(bytes, entries);
    }
}
