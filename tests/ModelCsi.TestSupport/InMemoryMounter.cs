using ModelCsi.Core.Mounting;

namespace ModelCsi.TestSupport;

/// <summary>
/// Mounts as a table in memory, so node logic runs without root: binds stack per target like the kernel's, each
/// mount has its own id, and tests can put "foreign" mounts (ones the driver did not make) where they like. A path
/// shows the file of its topmost mount's root (a stable made-up inode per root path), as statx would.
/// </summary>
public sealed class InMemoryMounter : IMounter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<MountInfoEntry>> _mounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _inodes = new(StringComparer.Ordinal);
    private int _nextId = 100;
    private int _mountTableReads;

    /// <summary>How often the whole mount table was read (FindMount or ReadMounts): what /proc/self/mountinfo reads cost.</summary>
    public int MountTableReads => Volatile.Read(ref _mountTableReads);

    /// <summary>Every bind, unmount and move, in order: what a test asserts the driver did.</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Makes the next bind fail, as the kernel can.</summary>
    public Exception? FailNextBind { get; set; }

    public void BindReadOnly(string source, string target)
    {
        lock (_lock)
        {
            Calls.Add($"bind {source} {target}");
            if (FailNextBind is { } failure)
            {
                FailNextBind = null;
                throw failure;
            }

            if (!Directory.Exists(target))
            {
                throw new MountException("bind", target, 2);
            }

            Push(target, source, "none", readOnly: true);
        }
    }

    /// <summary>A mount the driver did not make (a tmpfs, say) on top of whatever is at <paramref name="target"/>.</summary>
    public void MountForeign(string target, string fsType = "tmpfs")
    {
        lock (_lock)
        {
            Push(target, "/" + fsType, fsType, readOnly: false);
        }
    }

    public MountInfoEntry? FindMount(string target)
    {
        Interlocked.Increment(ref _mountTableReads);
        lock (_lock)
        {
            return Top(target);
        }
    }

    public IReadOnlyList<MountInfoEntry> ReadMounts()
    {
        Interlocked.Increment(ref _mountTableReads);
        lock (_lock)
        {
            return [.. _mounts.Values.SelectMany(stack => stack).OrderBy(entry => entry.MountId)];
        }
    }

    public MountProbe? Probe(string path)
    {
        lock (_lock)
        {
            if (Top(path) is { } top)
            {
                return new MountProbe(true, top.MountId, 0, InodeOf(top.Root));
            }

            return Directory.Exists(path) || File.Exists(path) ? new MountProbe(false, 1, 0, InodeOf(path)) : null;
        }
    }

    public bool IsReadOnlyMount(string path)
    {
        lock (_lock)
        {
            return Top(path) is { IsReadOnly: true };
        }
    }

    /// <summary>Takes the bind at <paramref name="target"/> off behind the driver's back and puts an identical one (a new mount id) in its place.</summary>
    public void RemountBehindTheDriversBack(string target)
    {
        lock (_lock)
        {
            var top = Top(target) ?? throw new MountException("remount", target, 22);
            _mounts[target].RemoveAt(_mounts[target].Count - 1);
            Push(target, top.Root, top.FilesystemType, top.IsReadOnly);
        }
    }

    /// <summary>How many mounts are stacked at the target.</summary>
    public int Depth(string target)
    {
        lock (_lock)
        {
            return _mounts.TryGetValue(target, out var stack) ? stack.Count : 0;
        }
    }

    public void Unmount(string target)
    {
        lock (_lock)
        {
            Calls.Add($"unmount {target}");
            if (!_mounts.TryGetValue(target, out var stack) || stack.Count == 0)
            {
                throw new MountException("umount", target, 22);
            }

            stack.RemoveAt(stack.Count - 1);
        }
    }

    public void SetPropagation(string path, MountPropagation propagation)
    {
        lock (_lock)
        {
            Calls.Add($"propagation {path} {propagation}");
            if (Top(path) is null)
            {
                Push(path, path, "none", readOnly: false);
            }
        }
    }

    public void Move(string source, string target)
    {
        lock (_lock)
        {
            Calls.Add($"move {source} {target}");
            var top = Top(source) ?? throw new MountException("move", source, 22);
            _mounts[source].RemoveAt(_mounts[source].Count - 1);
            Push(target, top.Root, top.FilesystemType, top.IsReadOnly);
        }
    }

    private MountInfoEntry? Top(string target) =>
        _mounts.TryGetValue(target, out var stack) && stack.Count > 0 ? stack[^1] : null;

    private ulong InodeOf(string path)
    {
        if (!_inodes.TryGetValue(path, out var inode))
        {
            _inodes[path] = inode = (ulong)_inodes.Count + 2;
        }

        return inode;
    }

    private void Push(string target, string root, string fsType, bool readOnly)
    {
        if (!_mounts.TryGetValue(target, out var stack))
        {
            _mounts[target] = stack = [];
        }

        var parent = stack.Count > 0 ? stack[^1].MountId : 1;
        stack.Add(new MountInfoEntry(_nextId++, parent, "0:0", root, target, readOnly ? ["ro", "nosuid", "nodev"] : ["rw"], [], fsType, fsType, ["rw"]));
    }
}
