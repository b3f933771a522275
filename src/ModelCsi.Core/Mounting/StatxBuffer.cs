using System.Runtime.InteropServices;

namespace ModelCsi.Core.Mounting;

/// <summary>
/// struct statx (linux/stat.h), only the fields the driver reads (the mounter's mount checks, the unpacker's file
/// types); 256 bytes as the kernel writes them, the same layout on every architecture. Holds the one statx binding.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal partial struct StatxBuffer
{
    [FieldOffset(0)]
    public uint Mask;

    [FieldOffset(8)]
    public ulong Attributes;

    [FieldOffset(28)]
    public ushort Mode;

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

    /// <summary>statx(2); 0 or -1 with errno for <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Read(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);
}
