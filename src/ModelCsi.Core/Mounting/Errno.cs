using System.Runtime.InteropServices;

namespace ModelCsi.Core.Mounting;

/// <summary>Linux errno values the mount code reacts to, and names for messages.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int ENOSYS = 38;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        ENOTDIR => "ENOTDIR",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        EROFS => "EROFS",
        ENOSYS => "ENOSYS",
        _ => "errno " + errno,
    };

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
