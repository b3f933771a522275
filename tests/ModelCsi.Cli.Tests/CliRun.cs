using ModelCsi.Cli;

namespace ModelCsi.Cli.Tests;

/// <summary>Runs modelcsi in-process and captures what it printed.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> RunAsync(string[] args, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole
        {
            Out = output,
            Error = error,
            In = new StringReader(stdin ?? string.Empty),
            GetEnvironmentVariable = name => environment is not null && environment.TryGetValue(name, out var value) ? value : null,
        };
        var code = await CliApp.RunAsync(args, console);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, null, null);

    /// <summary>The digest of the first <c>pushed ...@sha256:...</c> or <c>pulled ...</c> line.</summary>
    public string PrintedDigest()
    {
        var line = Out.Split('\n').First(l => l.StartsWith("pushed ", StringComparison.Ordinal) || l.StartsWith("pulled ", StringComparison.Ordinal));
        return line[(line.LastIndexOf('@') + 1)..].Trim();
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}
