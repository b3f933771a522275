using System.Runtime.InteropServices;

namespace ModelCsi.Core.Mounting;

/// <summary>Paths as the kernel lists mount points in mountinfo.</summary>
public static partial class MountPaths
{
    /// <summary>
    /// The real path (symlinks resolved), or the path itself when it cannot be resolved. mountinfo lists mount points
    /// by their real path, so a target reached through a symlinked parent (a relocated kubelet directory) is resolved
    /// before it is looked up there.
    /// </summary>
    public static string RealPathOrSelf(string path)
    {
        var resolved = RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return path;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? path;
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
