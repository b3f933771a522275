namespace ModelCsi.Core.Mounting;

/// <summary>One line of /proc/&lt;pid&gt;/mountinfo (proc(5)), with octal escapes already decoded.</summary>
public sealed record MountInfoEntry(
    int MountId,
    int ParentId,
    string MajorMinor,
    string Root,
    string MountPoint,
    IReadOnlyList<string> MountOptions,
    IReadOnlyList<string> OptionalFields,
    string FilesystemType,
    string Source,
    IReadOnlyList<string> SuperOptions)
{
    /// <summary>True when the per-mount options say ro (the superblock may still be rw: a read-only bind is per mount).</summary>
    public bool IsReadOnly => MountOptions.Contains("ro");
}
