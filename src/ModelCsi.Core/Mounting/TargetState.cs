namespace ModelCsi.Core.Mounting;

/// <summary>What is mounted at a target path, as far as this driver is concerned.</summary>
public enum TargetState
{
    /// <summary>The path is not a mount point.</summary>
    NotMounted,

    /// <summary>The topmost mount at the path is the bind this driver recorded there.</summary>
    Ours,

    /// <summary>Something else is mounted there (over our bind or in its place): never ours to unmount.</summary>
    Foreign,
}
