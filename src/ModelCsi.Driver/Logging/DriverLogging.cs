using Microsoft.Extensions.Logging.Console;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Logging;

/// <summary>The driver's console logging: its own formatters, its level, and the framework noise filtered out.</summary>
internal static class DriverLogging
{
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        var options = new DriverOptions();
        configuration.Bind(options);
        logging.ClearProviders();
        // No TraceId/SpanId scopes: nothing correlates them in a CSI driver's log.
        logging.Configure(factory => factory.ActivityTrackingOptions = ActivityTrackingOptions.None);
        logging.SetMinimumLevel(options.LogLevel);
        // Kestrel and routing log every request at Information; the driver's own lines say what matters.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // "Application started", "Content root path": the driver's own start line says what is served where.
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Hosting opens a RequestPath/RequestId scope only for a logger that is on: off, there is none.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // gRPC logs every failed call a second time after the interceptor, which logs it once with the pod.
        logging.AddFilter("Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.None);
        // Per-category levels (Logging:LogLevel:<category>) from the YAML file, for debugging one area.
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddConsole(console => console.FormatterName = options.LogFormat == LogFormat.Json ? DriverJsonFormatter.Name : DriverTextFormatter.Name);
        logging.AddConsoleFormatter<DriverTextFormatter, ConsoleFormatterOptions>(formatter => formatter.UseUtcTimestamp = true);
        logging.AddConsoleFormatter<DriverJsonFormatter, ConsoleFormatterOptions>(formatter => formatter.UseUtcTimestamp = true);
    }
}
