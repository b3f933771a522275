namespace ModelCsi.Core.Mounting;

/// <summary>The mount operations a node plugin needs; an OS seam so node logic can be tested without root.</summary>
public interface IMounter
{
    /// <summary>Bind-mounts <paramref name="source"/> onto <paramref name="target"/> read-only, nosuid, nodev.</summary>
    void BindReadOnly(string source, string target);

    /// <summary>The topmost mount whose mount point is exactly <paramref name="target"/>, or null when it is not a mount point.</summary>
    MountInfoEntry? FindMount(string target);

    /// <summary>Unmounts the topmost mount at <paramref name="target"/>.</summary>
    void Unmount(string target);
}
