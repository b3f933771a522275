using System.Text;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Where a tar symlink may point: relative, and resolved lexically from the link's directory it stays inside
/// the model root. '..' is allowed only as leading segments: after a name it would be resolved by the kernel
/// through whatever that name is (maybe another symlink), which lexical checking cannot see.
/// </summary>
internal static class SymlinkTargetRule
{
    /// <exception cref="UnsafeArchiveEntryException">The target is empty, too long, absolute, has NUL or leads outside.</exception>
    public static void Check(ModelRootWriter writer, string entryName, IReadOnlyList<string> linkParts, string target)
    {
        if (target.Length == 0)
        {
            throw writer.Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, "empty symlink target");
        }

        if (target.Length >= ModelRootWriter.MaxPathBytes || Encoding.UTF8.GetByteCount(target) >= ModelRootWriter.MaxPathBytes)
        {
            throw writer.Unsafe(entryName, ArchiveRule.PathTooLong, $"the symlink target is longer than {ModelRootWriter.MaxPathBytes - 1} bytes");
        }

        if (target.Contains('\0', StringComparison.Ordinal))
        {
            throw writer.Unsafe(entryName, ArchiveRule.UnsupportedEntryType, "NUL in symlink target");
        }

        if (target.StartsWith('/'))
        {
            throw writer.Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"absolute symlink target '{ValueExcerpt.Of(target)}'");
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
                    throw writer.Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"symlink target '{ValueExcerpt.Of(target)}' has '..' after a name");
                }

                depth--;
                if (depth < 0)
                {
                    throw writer.Unsafe(entryName, ArchiveRule.SymlinkEscapesRoot, $"symlink target '{ValueExcerpt.Of(target)}' leads outside the model root");
                }

                continue;
            }

            seenName = true;
        }
    }
}
