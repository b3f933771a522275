using System.Diagnostics;

namespace ModelCsi.Benchmarks;

/// <summary>Runs a tool (curl, openssl, dd, skopeo, a shell pipeline) to completion.</summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="file"/> and returns its standard output; throws when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var (output, _) = await RunTimedAsync(file, args, cancellationToken);
        return output;
    }

    /// <summary>Runs <paramref name="file"/>; returns its standard output and the wall time from start to exit.</summary>
    public static async Task<(string Output, double Seconds)> RunTimedAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await stderr}");
        }

        return (await stdout, seconds);
    }

    /// <summary>Runs a bash script with pipefail (e.g. <c>curl … | tar -x</c>); returns its wall time in seconds.</summary>
    public static async Task<double> ShellAsync(string script, CancellationToken cancellationToken = default)
    {
        var (_, seconds) = await RunTimedAsync("bash", ["-c", "set -euo pipefail; " + script], cancellationToken);
        return seconds;
    }

    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));
}
