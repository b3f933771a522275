using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ModelCsi.Cli.Commands;

/// <summary>Loggers for a command: silent by default, Information and up to stderr with --verbose.</summary>
public static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) =>
        verbose
            ? LoggerFactory.Create(builder => builder
                .SetMinimumLevel(LogLevel.Information)
                .AddSimpleConsole(options => options.SingleLine = true)
                .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace))
            : NullLoggerFactory.Instance;
}
