using System.CommandLine;

namespace ModelCsi.Cli.Commands;

/// <summary>Options every subcommand accepts (declared recursive on the root command).</summary>
public sealed class GlobalOptions
{
    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log what happens and print stack traces with errors",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print no progress",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Add(Verbose);
        root.Add(Quiet);
    }
}
