namespace ModelCsi.Core.Mounting;

/// <summary>The mount operations a node plugin needs; an OS seam so node logic can be tested without root.</summary>
public interface IMounter
{
    /// <summary>Bind-mounts <paramref name="source"/> onto <paramref name="target"/> read-only, nosuid, nodev.</summary>
    void BindReadOnly(string source, string target);

    /// <summary>
    /// The topmost mount whose mount point is exactly <paramref name="target"/>, or null when it is not a mount point.
    /// Reads the whole mount table: for start-up and rare paths; per-request checks use <see cref="Probe"/>.
    /// </summary>
    MountInfoEntry? FindMount(string target);

    /// <summary>
    /// What the kernel shows at <paramref name="path"/> (symlinks followed): the mount, whether the path is its root,
    /// and the file. Null when nothing is there. One statx, no mount table read (unless the kernel lacks mount ids).
    /// </summary>
    MountProbe? Probe(string path);

    /// <summary>True when the mount that shows <paramref name="path"/> is read-only (statvfs), not merely its filesystem.</summary>
    bool IsReadOnlyMount(string path);

    /// <summary>Every mount of this process's namespace in creation order, in one read of the mount table.</summary>
    IReadOnlyList<MountInfoEntry> ReadMounts();

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
