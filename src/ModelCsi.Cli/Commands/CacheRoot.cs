namespace ModelCsi.Cli.Commands;

/// <summary>
/// <c>cache ls</c> and <c>cache gc</c> work on an existing cache only: opening one creates its directory
/// tree, so a mistyped <c>--root-dir</c> would otherwise leave a new, empty cache behind and report "0 models".
/// </summary>
internal static class CacheRoot
{
    /// <exception cref="CliUsageException">The root directory holds no cache.</exception>
    public static void RequireExisting(string rootDir)
    {
        var cache = Path.Combine(rootDir, "cache");
        if (!Directory.Exists(cache))
        {
            throw new CliUsageException($"no model cache at {cache}: check --root-dir (the driver's rootDir)");
        }
    }
}
