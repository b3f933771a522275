using System.Runtime.InteropServices;

namespace ModelCsi.Core.Mounting;

/// <summary>struct statx (linux/stat.h), only the fields the mounter reads; 256 bytes as the kernel writes them.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(0)]
    public uint Mask;

    [FieldOffset(8)]
    public ulong Attributes;

    [FieldOffset(32)]
    public ulong Inode;

    [FieldOffset(56)]
    public ulong AttributesMask;

    [FieldOffset(136)]
    public uint DeviceMajor;

    [FieldOffset(140)]
    public uint DeviceMinor;

    [FieldOffset(144)]
    public ulong MountId;
}
