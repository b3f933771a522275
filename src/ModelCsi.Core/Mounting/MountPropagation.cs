namespace ModelCsi.Core.Mounting;

/// <summary>How mounts made under a mount point reach its binds (mount_namespaces(7)).</summary>
public enum MountPropagation
{
    /// <summary>Mounts made under it appear in every bind of it, and the other way round.</summary>
    Shared,

    /// <summary>Mounts made under it stay there; needed for the source of an MS_MOVE, whose parent must not be shared.</summary>
    Private,
}
