using ModelCsi.Core.Mounting;

namespace ModelCsi.TestSupport;

/// <summary>
/// Mounts as a table in memory, so node logic runs without root: binds stack per target like the kernel's, and
/// tests can put "foreign" mounts (ones the driver did not make) where they like.
/// </summary>
public sealed class InMemoryMounter : IMounter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<MountInfoEntry>> _mounts = new(StringComparer.Ordinal);
    private int _nextId = 100;

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
        lock (_lock)
        {
            return _mounts.TryGetValue(target, out var stack) && stack.Count > 0 ? stack[^1] : null;
        }
    }

    public bool IsBindOf(string target, string source)
    {
        lock (_lock)
        {
            return FindMount(target) is { FilesystemType: "none" } top && top.Root == source;
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
            if (FindMount(path) is null)
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
            var top = FindMount(source) ?? throw new MountException("move", source, 22);
            _mounts[source].RemoveAt(_mounts[source].Count - 1);
            Push(target, top.Root, top.FilesystemType, top.IsReadOnly);
        }
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
