namespace ModelCsi.Driver;

/// <summary>
/// The driver's directories on the host (root, state/, dynamic/) are root's alone (0700): pods reach models and
/// sockets through the bind mounts at their targets, which need no traversal of the host path, and no other
/// host user has business there (volume records, sockets, cached private models).
/// </summary>
internal static class HostDirectories
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directories, and tightens ones an older version made 0755.</summary>
    public static void Secure(string rootDirectory)
    {
        foreach (var directory in new[] { rootDirectory, Path.Combine(rootDirectory, "state"), Path.Combine(rootDirectory, "dynamic") })
        {
            Directory.CreateDirectory(directory, OwnerOnly);
            File.SetUnixFileMode(directory, OwnerOnly);
        }
    }
}
