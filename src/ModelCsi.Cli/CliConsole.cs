namespace ModelCsi.Cli;

/// <summary>What a command reads and writes outside its arguments: streams, environment, whether stderr is a terminal, time.</summary>
public sealed class CliConsole
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public TextReader In { get; init; } = TextReader.Null;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = _ => null;

    /// <summary>True when stderr is a terminal: progress then redraws one line in place.</summary>
    public bool ErrorIsTerminal { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The real process console and environment.</summary>
    public static CliConsole FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };
}
