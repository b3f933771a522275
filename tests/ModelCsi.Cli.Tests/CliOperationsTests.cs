using ModelCsi.Cli.Output;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

/// <summary>How the CLI reports what went wrong: exit codes, sockets, unknown options, read-only commands, publish progress.</summary>
public sealed class CliOperationsTests : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-cli-ops");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string[]> SocketCommands => new()
    {
        new[] { "ls", "--socket", "{socket}" },
        new[] { "mount", "m", "registry.example.com/m:1", "--socket", "{socket}" },
        new[] { "umount", "m", "--socket", "{socket}" },
        new[] { "csi", "probe", "--endpoint", "unix://{socket}" },
        new[] { "csi", "publish", "--endpoint", "unix://{socket}", "--volume-id", "v", "--target", "/tmp/never", "--model-ref", "r.example.com/m:1" },
        new[] { "csi", "unpublish", "--endpoint", "unix://{socket}", "--volume-id", "v", "--target", "/tmp/never" },
    };

    [Theory]
    [MemberData(nameof(SocketCommands))]
    public async Task A_missing_socket_is_exit_5_with_one_message_naming_its_path(string[] args)
    {
        var socket = _temp.Combine("absent", "api.sock");

        var run = await CliRun.RunAsync(args.Select(a => a.Replace("{socket}", socket, StringComparison.Ordinal)).ToArray());

        Assert.True(run.ExitCode == ExitCodes.Unavailable, run.ToString());
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"no socket at {socket}: is the driver running", line, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SocketCommands))]
    public async Task A_socket_nobody_listens_on_is_exit_5_naming_its_path(string[] args)
    {
        var socket = _temp.Combine("stale.sock");
        await File.WriteAllBytesAsync(socket, []);

        var run = await CliRun.RunAsync(args.Select(a => a.Replace("{socket}", socket, StringComparison.Ordinal)).ToArray());

        Assert.True(run.ExitCode == ExitCodes.Unavailable, run.ToString());
        Assert.Contains($"nothing listens on {socket}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost:80", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inspect", "--bogus-flag", "registry.example.com/m:1")]
    [InlineData("pull", "registry.example.com/m:1", "/tmp/out", "--bogus-flag")]
    [InlineData("csi", "probe", "--bogus-flag=1")]
    [InlineData("cache", "ls", "--root-dirr", "/tmp")]
    public async Task An_unknown_option_is_blamed_as_an_option_not_as_the_argument_after_it(params string[] args)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var unknown = args.First(a => a.StartsWith("--", StringComparison.Ordinal)).Split('=')[0];
        Assert.Contains($"unknown option '{unknown}'", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registry.example.com", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_options_with_values_that_look_like_options_are_not_blamed()
    {
        var run = await CliRun.RunAsync("csi", "probe", "--endpoint", "unix:///nonexistent/csi.sock", "--timeout", "00:00:05", "-v");

        Assert.DoesNotContain("unknown option", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_ls_on_a_mistyped_root_dir_fails_and_creates_nothing()
    {
        var typo = _temp.Combine("typo");

        var ls = await CliRun.RunAsync("cache", "ls", "--root-dir", typo);
        var gc = await CliRun.RunAsync("cache", "gc", "--root-dir", typo, "--dry-run");

        Assert.Equal(ExitCodes.Usage, ls.ExitCode);
        Assert.Equal(ExitCodes.Usage, gc.ExitCode);
        Assert.Contains($"no model cache at {Path.Combine(typo, "cache")}", ls.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(typo));
    }

    [Fact]
    public async Task The_exit_code_table_appears_once_in_the_top_level_help_and_not_in_command_help()
    {
        var top = await CliRun.RunAsync("--help");
        var mount = await CliRun.RunAsync("mount", "--help");

        Assert.Equal(1, CountOf(top.Out, "Exit codes:"));
        Assert.Equal(0, CountOf(mount.Out, "Exit codes:"));
    }

    [Fact]
    public async Task Publish_progress_without_metrics_says_it_waits_for_the_driver_with_the_elapsed_time()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var error = new StringWriter();
        var progress = new PublishProgress(new CliConsole { Out = TextWriter.Null, Error = error, ErrorIsTerminal = true, Time = time }, "r.example.com/m:1", null);

        time.Advance(TimeSpan.FromSeconds(12));
        await progress.UpdateAsync(CancellationToken.None);

        Assert.EndsWith("\rpublishing r.example.com/m:1: waiting for the driver (12s)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_progress_with_metrics_shows_the_bytes_the_driver_downloaded_since_the_start_and_the_rate()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var error = new StringWriter();
        var downloaded = 1_000_000_000L;
        var progress = new PublishProgress(
            new CliConsole { Out = TextWriter.Null, Error = error, ErrorIsTerminal = true, Time = time },
            "r.example.com/m:1",
            _ => Task.FromResult($"# TYPE modelcsi_downloaded_bytes_total counter\nmodelcsi_downloaded_bytes_total {downloaded}\nmodelcsi_pulls_in_progress 1\n"));

        await progress.UpdateAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(10));
        downloaded += 500_000_000;
        await progress.UpdateAsync(CancellationToken.None);

        Assert.Contains("driver downloaded 476.8 MiB, 50.0 MB/s, 1 pulls running (10s)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_progress_prints_nothing_off_a_terminal()
    {
        using var error = new StringWriter();
        var progress = new PublishProgress(new CliConsole { Out = TextWriter.Null, Error = error, ErrorIsTerminal = false }, "r.example.com/m:1", null);

        Assert.Equal(7, await progress.TrackAsync(Task.FromResult(7), CancellationToken.None));
        Assert.Empty(error.ToString());
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
