using ModelCsi.Cli.Output;
using ModelCsi.Core.ModelPack;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

public sealed class TransferProgressPrinterTests
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly StringWriter _error = new();

    private TransferProgressPrinter Printer(bool terminal) =>
        new("pulling", new CliConsole { Out = TextWriter.Null, Error = _error, ErrorIsTerminal = terminal, Time = _time });

    [Fact]
    public void Off_a_terminal_it_prints_plain_lines_at_most_every_five_seconds()
    {
        var printer = Printer(terminal: false);
        for (var i = 1; i <= 40; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(0.5));
            printer.Report(new TransferProgress(i * 1_000_000L, 40_000_000L, i / 10, 4));
        }

        printer.Finish();

        var lines = _error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.DoesNotContain('\r', _error.ToString());
        Assert.Equal("pulling 9.5 MiB / 38.1 MiB (25%) 2.0 MB/s, 1/4 layers", lines[0]);
    }

    [Fact]
    public void On_a_terminal_it_redraws_one_line_and_ends_it_on_finish()
    {
        var printer = Printer(terminal: true);
        for (var i = 1; i <= 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            printer.Report(new TransferProgress(i * 100L, 1000L, 0, 1));
        }

        printer.Finish();

        var text = _error.ToString();
        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(11, text.Count(c => c == '\r'));
        Assert.Contains("(100%)", text[text.LastIndexOf('\r')..], StringComparison.Ordinal);
    }
}
