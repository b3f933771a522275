namespace ModelCsi.Core.Mounting;

/// <summary>A read-only bind this driver made: the mount (by id) at the target and the file (device, inode) it shows.</summary>
public sealed record OwnMount(string Target, string Source, long MountId, ulong Device, ulong Inode);
