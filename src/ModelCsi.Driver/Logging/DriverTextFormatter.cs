using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace ModelCsi.Driver.Logging;

/// <summary>
/// <c>--log-format text</c>: <c>2026-01-02T03:04:05.678Z warn  [1003 RpcFailed] message rpc=... volume=...</c>,
/// one line per message; an exception's stack follows on its own lines.
/// </summary>
internal sealed class DriverTextFormatter(IOptionsMonitor<ConsoleFormatterOptions> options) : ConsoleFormatter(Name)
{
    public new const string Name = "modelcsi-text";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        textWriter.Write(LogTimestamp.Now(options.CurrentValue));
        textWriter.Write(' ');
        textWriter.Write(ShortLevel(logEntry.LogLevel));
        textWriter.Write(' ');
        if (logEntry.EventId.Id != 0 || logEntry.EventId.Name is not null)
        {
            textWriter.Write($"[{logEntry.EventId.Id}{(logEntry.EventId.Name is null ? "" : " " + logEntry.EventId.Name)}] ");
        }
        textWriter.Write(OneLine(message ?? ""));
        foreach (var (name, value) in LogFields.Collect(logEntry.State, scopeProvider).Present())
        {
            textWriter.Write($" {name}={Quote(value)}");
        }
        textWriter.WriteLine();
        if (logEntry.Exception is not null)
        {
            textWriter.WriteLine(logEntry.Exception.ToString());
        }
    }

    private static string ShortLevel(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static string OneLine(string text) => text.Contains('\n', StringComparison.Ordinal) ? text.ReplaceLineEndings(" ") : text;

    /// <summary>Values with spaces or quotes are quoted so <c>key=value</c> pairs stay parseable.</summary>
    private static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '=')
            ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings("\\n") + "\""
            : value;
}
