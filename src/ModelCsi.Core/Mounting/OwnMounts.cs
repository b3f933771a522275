using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Mounting;

/// <summary>
/// The binds this driver made, kept in memory so a publish or an unpublish checks its target with one statx instead
/// of reading the whole mount table: a target is ours when its topmost mount is the mount id recorded at the bind and
/// shows the same file. Taken up at start from one read of the mount table for all recorded volumes.
/// </summary>
public sealed class OwnMounts(IMounter mounter, ILogger<OwnMounts> logger)
{
    // A retry after a crash can find more than one bind of the model stacked at a target; this bounds the unmount loop.
    private const int MaxStackedMounts = 8;

    private readonly ConcurrentDictionary<string, OwnMount> _mounts = new(StringComparer.Ordinal);

    public OwnMount? Find(string target) => _mounts.TryGetValue(target, out var mount) ? mount : null;

    /// <summary>
    /// At start: takes up the binds of the recorded (target, source) pairs that are still mounted, in one read of the
    /// mount table. A target showing something else on top is not taken up, so it is never unmounted as ours.
    /// </summary>
    /// <returns>The targets with nothing mounted at them.</returns>
    public IReadOnlyList<string> Adopt(IEnumerable<(string Target, string Source)> published)
    {
        ArgumentNullException.ThrowIfNull(published);
        var topmost = new Dictionary<string, MountInfoEntry>(StringComparer.Ordinal);
        foreach (var entry in mounter.ReadMounts())
        {
            // Listed in creation order: the last entry at a mount point is the one a path lookup sees.
            topmost[entry.MountPoint] = entry;
        }
        var notMounted = new List<string>();
        foreach (var (target, source) in published)
        {
            if (!topmost.TryGetValue(MountPaths.RealPathOrSelf(target), out var entry))
            {
                notMounted.Add(target);
                continue;
            }
            if (mounter.Probe(target) is { IsMountRoot: true } shown
                && shown.MountId == entry.MountId
                && mounter.Probe(source) is { } original
                && shown.ShowsSameFileAs(original.Device, original.Inode))
            {
                _mounts[target] = new OwnMount(target, source, shown.MountId, shown.Device, shown.Inode);
            }
            else
            {
                Log.ForeignMountAtStart(logger, target, source);
            }
        }
        return notMounted;
    }

    /// <summary>Bind-mounts <paramref name="source"/> read-only at <paramref name="target"/> and records the mount.</summary>
    /// <exception cref="InvalidOperationException">The new mount is not a read-only bind of the source (it is undone).</exception>
    public OwnMount BindReadOnly(string source, string target)
    {
        var original = mounter.Probe(source) ?? throw new MountException($"bind mount from {source}", target, Errno.ENOENT);
        mounter.BindReadOnly(source, target);
        var shown = mounter.Probe(target);
        if (shown is not { IsMountRoot: true } bind || !bind.ShowsSameFileAs(original.Device, original.Inode))
        {
            // Not what was just mounted (something raced a mount in): nothing here is safe to unmount.
            throw new InvalidOperationException($"{target} does not show {source} right after it was bind-mounted there");
        }
        if (!mounter.IsReadOnlyMount(target))
        {
            mounter.Unmount(target);
            throw new InvalidOperationException($"bind mount of {source} at {target} is not read-only after the remount");
        }
        var mount = new OwnMount(target, source, bind.MountId, bind.Device, bind.Inode);
        _mounts[target] = mount;
        return mount;
    }

    /// <summary>What is at <paramref name="target"/>: one statx, unless our recorded bind is no longer seen there.</summary>
    public TargetState Inspect(string target)
    {
        var own = Find(target);
        if (mounter.Probe(target) is { IsMountRoot: true } shown)
        {
            return own is not null && IsOwn(shown, own) ? TargetState.Ours : TargetState.Foreign;
        }
        if (own is null)
        {
            return TargetState.NotMounted;
        }
        // We mounted here, yet the path is no mount root: unmounted behind our back, or hidden by a mount over a
        // parent directory. Only the mount table tells which; this is the one case a check reads it.
        if (mounter.FindMount(target) is null)
        {
            _mounts.TryRemove(target, out _);
            return TargetState.NotMounted;
        }
        return TargetState.Foreign;
    }

    /// <summary>
    /// Unmounts our bind at <paramref name="target"/>, and below it any leftover bind of the same model from a crashed
    /// earlier attempt. Anything else (a mount stacked on top, a wrong volume's mount) is left alone.
    /// </summary>
    /// <param name="target">The target path.</param>
    /// <param name="source">The recorded source: identifies our binds when none was taken up for the target.</param>
    /// <returns>True when nothing is mounted at the target any more; false when a foreign mount is left there.</returns>
    public bool Unmount(string target, string source)
    {
        var own = Find(target);
        (ulong Device, ulong Inode)? model = own is not null
            ? (own.Device, own.Inode)
            : mounter.Probe(source) is { } original ? (original.Device, original.Inode) : null;
        var shown = mounter.Probe(target);
        for (var i = 0; i < MaxStackedMounts && shown is { IsMountRoot: true } top; i++)
        {
            var ours = own is not null
                ? IsOwn(top, own)
                : model is { } file && top.ShowsSameFileAs(file.Device, file.Inode);
            if (!ours)
            {
                return false;
            }
            mounter.Unmount(target);
            if (own is not null)
            {
                // Our recorded bind is off; below it only leftovers of the same model come off too (as before restarts).
                _mounts.TryRemove(target, out _);
                own = null;
            }
            shown = mounter.Probe(target);
        }
        if (shown is { IsMountRoot: true })
        {
            return false;
        }
        // Still recorded but never seen at the path: unmounted behind our back, or hidden by a mount over a parent.
        return own is null || Inspect(target) is TargetState.NotMounted;
    }

    private static bool IsOwn(MountProbe shown, OwnMount own) =>
        shown.MountId == own.MountId && shown.ShowsSameFileAs(own.Device, own.Inode);
}
