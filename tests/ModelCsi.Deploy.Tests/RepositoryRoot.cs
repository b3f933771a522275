namespace ModelCsi.Deploy.Tests;

/// <summary>Finds files of the repository by walking up from the test binaries to ModelCsi.sln.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Join(directory.FullName, "ModelCsi.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ModelCsi.sln above {AppContext.BaseDirectory}");
    }
}
