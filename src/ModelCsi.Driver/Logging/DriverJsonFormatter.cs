using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace ModelCsi.Driver.Logging;

/// <summary>
/// <c>--log-format json</c>: one object per line with <c>timestamp</c>, <c>level</c>, <c>category</c>,
/// <c>message</c>, <c>eventId</c>, <c>eventName</c>, the driver's fields flattened (<c>rpc</c>, <c>volume</c>,
/// <c>target</c>, <c>pod</c>, <c>model</c>, <c>digest</c>) and <c>exception</c> when there is one.
/// </summary>
internal sealed class DriverJsonFormatter(IOptionsMonitor<ConsoleFormatterOptions> options) : ConsoleFormatter(Name)
{
    public new const string Name = "modelcsi-json";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", LogTimestamp.Now(options.CurrentValue));
            json.WriteString("level", logEntry.LogLevel.ToString().ToLowerInvariant());
            json.WriteString("category", logEntry.Category);
            json.WriteString("message", message ?? "");
            json.WriteNumber("eventId", logEntry.EventId.Id);
            if (logEntry.EventId.Name is not null)
            {
                json.WriteString("eventName", logEntry.EventId.Name);
            }
            foreach (var (name, value) in LogFields.Collect(logEntry.State, scopeProvider).Present())
            {
                json.WriteString(name, value);
            }
            if (logEntry.Exception is not null)
            {
                json.WriteString("exception", logEntry.Exception.ToString());
            }
            json.WriteEndObject();
        }
        textWriter.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
