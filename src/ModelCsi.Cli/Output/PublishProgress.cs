using System.Globalization;
using ModelCsi.Core.Cache;

namespace ModelCsi.Cli.Output;

/// <summary>
/// What <c>csi publish</c> shows on a terminal while NodePublishVolume runs, which for a cold model is the
/// whole pull: the driver's downloaded bytes and rate read from its <c>/metrics</c> when <c>--metrics-url</c>
/// is given (the counter is node-wide, so other pulls count too), otherwise "waiting for the driver" with the
/// elapsed time. One line redrawn in place; nothing at all off a terminal, where logs want the result only.
/// </summary>
public sealed class PublishProgress
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private const string DownloadedMetric = "modelcsi_downloaded_bytes_total";
    private const string InProgressMetric = "modelcsi_pulls_in_progress";

    private readonly CliConsole _console;
    private readonly string _what;
    private readonly Func<CancellationToken, Task<string>>? _scrape;
    private readonly DateTimeOffset _started;
    private double? _baseline;
    private int _lineLength;

    /// <param name="scrape">Reads the driver's metrics text, or null when no <c>--metrics-url</c> was given.</param>
    public PublishProgress(CliConsole console, string what, Func<CancellationToken, Task<string>>? scrape)
    {
        ArgumentNullException.ThrowIfNull(console);
        _console = console;
        _what = what;
        _scrape = scrape;
        _started = console.Time.GetUtcNow();
    }

    /// <summary>A scraper for <c>--metrics-url</c> (<c>http://node:9090</c> or <c>.../metrics</c>).</summary>
    public static Func<CancellationToken, Task<string>> HttpScraper(HttpClient http, Uri metricsUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(metricsUrl);
        var url = metricsUrl.AbsolutePath is "" or "/" ? new Uri(metricsUrl, "/metrics") : metricsUrl;
        return cancellationToken => http.GetStringAsync(url, cancellationToken);
    }

    /// <summary>Redraws the line until <paramref name="call"/> completes, then clears it; returns the call's result.</summary>
    public async Task<T> TrackAsync<T>(Task<T> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!_console.ErrorIsTerminal)
        {
            return await call;
        }
        try
        {
            await UpdateAsync(cancellationToken);
            while (!call.IsCompleted)
            {
                await Task.WhenAny(call, Task.Delay(Interval, _console.Time, cancellationToken));
                if (!call.IsCompleted)
                {
                    await UpdateAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Clear();
        }
        return await call;
    }

    /// <summary>Draws the line once with what is known now.</summary>
    public async Task UpdateAsync(CancellationToken cancellationToken)
    {
        var elapsed = _console.Time.GetUtcNow() - _started;
        var line = string.Create(CultureInfo.InvariantCulture, $"publishing {_what}: waiting for the driver ({elapsed.TotalSeconds:0}s)");
        if (_scrape is not null)
        {
            try
            {
                var text = await _scrape(cancellationToken);
                if (Read(text, DownloadedMetric) is { } downloaded)
                {
                    _baseline ??= downloaded;
                    var bytes = (long)(downloaded - _baseline.Value);
                    var rate = elapsed.TotalSeconds > 0 ? bytes / elapsed.TotalSeconds / 1_000_000 : 0;
                    var running = Read(text, InProgressMetric) is { } pulls ? string.Create(CultureInfo.InvariantCulture, $", {pulls:0} pulls running") : "";
                    line = string.Create(CultureInfo.InvariantCulture,
                        $"publishing {_what}: driver downloaded {ByteSize.Format(bytes)}, {rate:0.0} MB/s{running} ({elapsed.TotalSeconds:0}s)");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
            {
                line += " (metrics unreachable)";
            }
        }
        Draw(line);
    }

    /// <summary>The value of an unlabelled sample, e.g. <c>modelcsi_downloaded_bytes_total 1234</c>.</summary>
    internal static double? Read(string exposition, string metric)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(metric + " ", StringComparison.Ordinal)
                && double.TryParse(line[(metric.Length + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return null;
    }

    private void Draw(string line)
    {
        var padding = _lineLength > line.Length ? new string(' ', _lineLength - line.Length) : string.Empty;
        _console.Error.Write("\r" + line + padding);
        _console.Error.Flush();
        _lineLength = line.Length;
    }

    private void Clear()
    {
        if (_lineLength > 0)
        {
            _console.Error.Write("\r" + new string(' ', _lineLength) + "\r");
            _console.Error.Flush();
            _lineLength = 0;
        }
    }
}
