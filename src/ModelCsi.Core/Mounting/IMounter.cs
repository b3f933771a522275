namespace ModelCsi.Core.Mounting;

/// <summary>The mount operations a node plugin needs; an OS seam so node logic can be tested without root.</summary>
public interface IMounter
{
    /// <summary>Bind-mounts <paramref name="source"/> onto <paramref name="target"/> read-only, nosuid, nodev.</summary>
    void BindReadOnly(string source, string target);

    /// <summary>The topmost mount whose mount point is exactly <paramref name="target"/>, or null when it is not a mount point.</summary>
    MountInfoEntry? FindMount(string target);

    /// <summary>
    /// True when the topmost mount at <paramref name="target"/> shows <paramref name="source"/> (same device and
    /// inode): the bind this driver made, not something mounted over it or in its place.
    /// </summary>
    bool IsBindOf(string target, string source);

    /// <summary>Unmounts the topmost mount at <paramref name="target"/>.</summary>
    void Unmount(string target);

    /// <summary>
    /// Makes <paramref name="path"/> a mount point of its own (binding it onto itself when it is not one yet) with
    /// the given propagation, so mounts made under it later reach its binds (shared) or stay put (private).
    /// </summary>
    void SetPropagation(string path, MountPropagation propagation);

    /// <summary>Moves the mount at <paramref name="source"/> to <paramref name="target"/> in one step (MS_MOVE).</summary>
    void Move(string source, string target);
}
