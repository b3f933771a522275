using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Mounting;

/// <summary>Bind mounts through libc mount(2)/umount2(2); needs CAP_SYS_ADMIN. Mount points are checked with statx(2).</summary>
/// <param name="logger">Where mounts and unmounts are logged.</param>
/// <param name="mountInfo">The mount table's text; /proc/self/mountinfo unless a test counts the reads.</param>
public sealed partial class LibcMounter(ILogger<LibcMounter> logger, IMountInfoSource? mountInfo = null) : IMounter
{
    private const int AtFdCwd = -100;
    private const int AtNoAutomount = 0x800;
    private const uint StatxIno = 0x100;
    private const uint StatxMountId = 0x1000;
    private const ulong StatxAttrMountRoot = 0x2000;

    private const ulong MsRdonly = 1;
    private const ulong MsNosuid = 2;
    private const ulong MsNodev = 4;
    private const ulong MsRemount = 32;
    private const ulong MsBind = 4096;
    private const ulong MsMove = 8192;
    private const ulong MsPrivate = 1 << 18;
    private const ulong MsShared = 1 << 20;
    private const int MntDetach = 2;

    private readonly IMountInfoSource _mountInfo = mountInfo ?? new ProcMountInfo();

    // Cleared once when statx cannot report mount ids (a kernel before 5.8, or a libc without statx): probes then
    // take the mount from the mount table, as every check did before.
    private volatile bool _statxHasMountIds = true;

    /// <summary>Tests turn the statx path off to exercise the fallback a kernel without mount ids gets.</summary>
    internal bool UsesStatxMountIds
    {
        get => _statxHasMountIds;
        set => _statxHasMountIds = value;
    }

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

    public MountInfoEntry? FindMount(string target) =>
        MountInfoParser.FindByMountPoint(ReadMounts(), MountPaths.RealPathOrSelf(target));

    public IReadOnlyList<MountInfoEntry> ReadMounts() => MountInfoParser.Parse(_mountInfo.Read());

    public MountProbe? Probe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (_statxHasMountIds)
        {
            try
            {
                if (StatxBuffer.Read(AtFdCwd, path, AtNoAutomount, StatxIno | StatxMountId, out var buffer) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Errno.ENOENT or Errno.ENOTDIR)
                    {
                        return null;
                    }
                    if (errno is not (Errno.ENOSYS or Errno.EINVAL))
                    {
                        throw new MountException("statx", path, errno);
                    }
                    _statxHasMountIds = false;
                }
                else if ((buffer.Mask & StatxMountId) != 0 && (buffer.AttributesMask & StatxAttrMountRoot) != 0)
                {
                    return new MountProbe(
                        (buffer.Attributes & StatxAttrMountRoot) != 0,
                        (long)buffer.MountId,
                        Device(buffer.DeviceMajor, buffer.DeviceMinor),
                        buffer.Inode);
                }
                else
                {
                    _statxHasMountIds = false;
                }
            }
            catch (EntryPointNotFoundException)
            {
                _statxHasMountIds = false;
            }
            Log.StatxWithoutMountIds(logger);
        }
        return ProbeThroughMountTable(path);
    }

    /// <summary>The fallback: stat for the file, the mount table for the mount (the topmost listed at the path).</summary>
    private MountProbe? ProbeThroughMountTable(string path)
    {
        if (Mono.Unix.Native.Syscall.stat(path, out var stat) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : throw new MountException("stat", path, errno);
        }
        var mount = FindMount(path);
        // glibc's dev_t encoding, so devices compare equal to what statx reports.
        var major = ((stat.st_dev >> 8) & 0xfff) | ((stat.st_dev >> 32) & ~0xfffUL);
        var minor = (stat.st_dev & 0xff) | ((stat.st_dev >> 12) & ~0xffUL);
        return new MountProbe(mount is not null, mount?.MountId ?? 0, Device((uint)major, (uint)minor), stat.st_ino);
    }

    private static ulong Device(uint major, uint minor) => ((ulong)major << 32) | minor;

    public bool IsReadOnlyMount(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Mono.Unix.Native.Syscall.statvfs(path, out var stat) != 0)
        {
            throw new MountException("statvfs", path, Marshal.GetLastPInvokeError());
        }
        return (stat.f_flag & Mono.Unix.Native.MountFlags.ST_RDONLY) != 0;
    }

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

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
