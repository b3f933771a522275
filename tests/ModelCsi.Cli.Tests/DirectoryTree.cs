using Xunit;

namespace ModelCsi.Cli.Tests;

internal static class DirectoryTree
{
    public static IReadOnlyList<string> Files(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(root, path)).Order(StringComparer.Ordinal)];

    public static void AssertSame(string expected, string actual)
    {
        var files = Files(expected);
        Assert.NotEmpty(files);
        Assert.Equal(files, Files(actual));
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Join(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(actual, file))), $"{file} differs");
        }
    }
}
