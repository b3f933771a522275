using System.Globalization;
using Microsoft.Extensions.Logging.Console;

namespace ModelCsi.Driver.Logging;

internal static class LogTimestamp
{
    /// <summary>UTC with milliseconds, as log collectors parse without configuration.</summary>
    public static string Now(ConsoleFormatterOptions options)
    {
        var now = options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
        return now.ToString("yyyy-MM-ddTHH:mm:ss.fffK", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal);
    }
}
