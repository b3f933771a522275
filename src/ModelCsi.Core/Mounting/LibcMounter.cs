using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Mounting;

/// <summary>Bind mounts through libc mount(2)/umount2(2); needs CAP_SYS_ADMIN.</summary>
public sealed partial class LibcMounter(ILogger<LibcMounter> logger) : IMounter
{
    private const string MountInfoPath = "/proc/self/mountinfo";

    private const ulong MsRdonly = 1;
    private const ulong MsNosuid = 2;
    private const ulong MsNodev = 4;
    private const ulong MsRemount = 32;
    private const ulong MsBind = 4096;
    private const ulong MsMove = 8192;
    private const ulong MsPrivate = 1 << 18;
    private const ulong MsShared = 1 << 20;
    private const int MntDetach = 2;

    public void BindReadOnly(string source, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (Mount(source, target, null, MsBind, IntPtr.Zero) != 0)
        {
            throw new MountException($"bind mount from {source}", target, Marshal.GetLastPInvokeError());
        }
        // The kernel ignores MS_RDONLY on the bind call itself; only a remount of the new bind makes it read-only.
        if (Mount(null, target, null, MsBind | MsRemount | MsRdonly | MsNosuid | MsNodev, IntPtr.Zero) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // Never leave a writable bind of the model behind.
            TryUnmountAfterFailedRemount(target);
            throw new MountException("read-only remount", target, errno);
        }
        Log.BindMounted(logger, source, target);
    }

    /// <remarks>
    /// The kernel lists mount points by their real path, so a target reached through a symlinked parent
    /// (e.g. a relocated kubelet directory) is resolved first; otherwise the lookup would miss it.
    /// </remarks>
    public MountInfoEntry? FindMount(string target) =>
        MountInfoParser.FindByMountPoint(MountInfoParser.Parse(File.ReadAllText(MountInfoPath)), RealPathOrSelf(target));

    private static string RealPathOrSelf(string path)
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

    public bool IsBindOf(string target, string source) =>
        Mono.Unix.Native.Syscall.stat(target, out var shown) == 0
        && Mono.Unix.Native.Syscall.stat(source, out var original) == 0
        && shown.st_dev == original.st_dev
        && shown.st_ino == original.st_ino;

    public void Unmount(string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (Umount2(target, 0) == 0)
        {
            Log.Unmounted(logger, target);
            return;
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno != Errno.EBUSY)
        {
            throw new MountException("unmount", target, errno);
        }
        // Something (a process cwd, an open file) pins the mount; detach it so the pod can go away and the
        // kernel frees it when the last user leaves.
        Log.UnmountBusyDetaching(logger, target);
        if (Umount2(target, MntDetach) != 0)
        {
            throw new MountException("lazy unmount", target, Marshal.GetLastPInvokeError());
        }
    }

    public void SetPropagation(string path, MountPropagation propagation)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Propagation is a property of a mount, not of a directory: a plain directory becomes a mount by binding it onto itself.
        if (FindMount(path) is null && Mount(path, path, null, MsBind, IntPtr.Zero) != 0)
        {
            throw new MountException("bind onto itself", path, Marshal.GetLastPInvokeError());
        }
        var flag = propagation switch
        {
            MountPropagation.Shared => MsShared,
            MountPropagation.Private => MsPrivate,
            _ => throw new ArgumentOutOfRangeException(nameof(propagation), propagation, null),
        };
        if (Mount(null, path, null, flag, IntPtr.Zero) != 0)
        {
            throw new MountException($"making {propagation.ToString().ToLowerInvariant()}", path, Marshal.GetLastPInvokeError());
        }
        Log.PropagationSet(logger, path, propagation);
    }

    public void Move(string source, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (Mount(source, target, null, MsMove, IntPtr.Zero) != 0)
        {
            throw new MountException($"move of the mount at {source}", target, Marshal.GetLastPInvokeError());
        }
        Log.Moved(logger, source, target);
    }

    private void TryUnmountAfterFailedRemount(string target)
    {
        if (Umount2(target, MntDetach) != 0)
        {
            Log.RollbackUnmountFailed(logger, target, Errno.Name(Marshal.GetLastPInvokeError()));
        }
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string? source, string target, string? filesystemType, ulong flags, IntPtr data);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
