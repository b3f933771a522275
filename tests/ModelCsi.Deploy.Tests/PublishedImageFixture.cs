using System.Text.RegularExpressions;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>
/// What the Dockerfile's build stage produces, made without Docker: its `dotnet publish` commands, read from
/// the Dockerfile and run as written (build args at their defaults, /out/ redirected to a temp dir) from the
/// repository root, which is laid out like the build stage's /src.
/// </summary>
public sealed partial class PublishedImageFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "modelcsi-image-" + Guid.NewGuid().ToString("N")[..12]);

    public string Dockerfile { get; } = File.ReadAllText(RepositoryRoot.Combine("Dockerfile"));

    public IReadOnlyList<IReadOnlyList<string>> PublishCommands { get; private set; } = [];

    [GeneratedRegex(@"^ARG (\w+)=(\S*)\s*$", RegexOptions.Multiline)]
    private static partial Regex ArgDefault();

    [GeneratedRegex(@"dotnet publish ([^\\&\n]+)")]
    private static partial Regex PublishCommand();

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex ArgUse();

    /// <summary>A path of the image (under /opt/modelcsi or /out) as a path in the temp dir.</summary>
    public string InImage(string imagePath) =>
        Path.Combine(Root, imagePath.Replace("/opt/modelcsi/", "", StringComparison.Ordinal).Replace("/out/", "", StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        // An ARG is declared again in each stage that uses it; the build stage's (the first) is the one publish sees.
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match arg in ArgDefault().Matches(Dockerfile))
        {
            defaults.TryAdd(arg.Groups[1].Value, arg.Groups[2].Value);
        }
        var commands = new List<IReadOnlyList<string>>();
        foreach (Match publish in PublishCommand().Matches(Dockerfile))
        {
            var expanded = ArgUse().Replace(publish.Groups[1].Value, use => defaults.TryGetValue(use.Groups[1].Value, out var value)
                ? value
                : throw new InvalidOperationException($"Dockerfile uses ${{{use.Groups[1].Value}}} without a default"));
            var arguments = expanded.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(a => a.StartsWith("/out/", StringComparison.Ordinal) ? InImage(a) : a)
                .ToList();
            commands.Add(arguments);
            var run = await ProcessRun.RunAsync("dotnet", ["publish", .. arguments, "--nologo"]);
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet publish {string.Join(' ', arguments)} failed: {run.Describe()}");
            }
        }
        PublishCommands = commands;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
