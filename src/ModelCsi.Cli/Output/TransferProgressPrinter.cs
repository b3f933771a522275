using ModelCsi.Core.Cache;
using System.Globalization;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Cli.Output;

/// <summary>
/// Prints transfer progress to stderr: on a terminal one line redrawn in place (<c>\r</c>) a few times a
/// second, otherwise (logs, CI) a plain line at most every 5 seconds. Reports arrive from several layer
/// tasks at once, hence the lock.
/// </summary>
public sealed class TransferProgressPrinter : IProgress<TransferProgress>
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly TimeProvider _time;
    private readonly string _verb;
    private readonly DateTimeOffset _started;
    private readonly Lock _lock = new();
    private DateTimeOffset _lastPrinted;
    private bool _printedAny;
    private int _lineLength;
    private TransferProgress _latest;

    public TransferProgressPrinter(string verb, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        _verb = verb;
        _writer = console.Error;
        _terminal = console.ErrorIsTerminal;
        _time = console.Time;
        _started = _time.GetUtcNow();
    }

    public void Report(TransferProgress value)
    {
        lock (_lock)
        {
            _latest = value;
            var now = _time.GetUtcNow();
            var due = now - (_printedAny ? _lastPrinted : _started) >= (_terminal ? TerminalInterval : LogInterval);
            // On a terminal a finished layer is worth a redraw; in a log it would flood.
            if (due || (_terminal && value.CompletedLayer is not null))
            {
                Print(value, now);
            }
        }
    }

    /// <summary>Ends the in-place line (printing the final state) so what follows starts on its own line.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_terminal && _printedAny)
            {
                Print(_latest, _time.GetUtcNow());
                _writer.WriteLine();
                _printedAny = false;
            }
        }
    }

    private void Print(TransferProgress value, DateTimeOffset now)
    {
        var elapsed = (now - _started).TotalSeconds;
        var rate = elapsed > 0 ? value.BytesTransferred / elapsed / 1_000_000 : 0;
        var percent = value.TotalBytes > 0 ? 100.0 * value.BytesTransferred / value.TotalBytes : 100.0;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{_verb} {ByteSize.Format(value.BytesTransferred)} / {ByteSize.Format(value.TotalBytes)} ({percent:0}%) {rate:0.0} MB/s, {value.LayersCompleted}/{value.LayerCount} layers");
        if (_terminal)
        {
            var padding = _lineLength > line.Length ? new string(' ', _lineLength - line.Length) : string.Empty;
            _writer.Write("\r" + line + padding);
            _lineLength = line.Length;
        }
        else
        {
            _writer.WriteLine(line);
        }

        _writer.Flush();
        _lastPrinted = now;
        _printedAny = true;
    }
}
