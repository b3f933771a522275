namespace ModelCsi.Core.Mounting;

/// <summary>
/// What the kernel says about a path (statx): the mount that shows it, whether the path is that mount's root, and
/// the file (device and inode) it shows. Two probes showing the same file are the same directory, however reached.
/// </summary>
public readonly record struct MountProbe(bool IsMountRoot, long MountId, ulong Device, ulong Inode)
{
    public bool ShowsSameFileAs(ulong device, ulong inode) => Device == device && Inode == inode;
}
