using System.Diagnostics;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>Runs a command as an unprivileged host user (nobody, uid 65534, no groups), the way another tenant of the node would.</summary>
public static class Unprivileged
{
    public const int Nobody = 65534;

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] command)
    {
        var start = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--reuid=" + Nobody, "--regid=" + Nobody, "--clear-groups" }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(DriverProcess.Patience);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>GET /mounts on a dynamic volume socket with curl; exit code 0 when the user could connect.</summary>
    public static Task<(int ExitCode, string Output)> ListMountsAsync(string socketPath) =>
        RunAsync("curl", "-sS", "--max-time", "20", "--unix-socket", socketPath, "http://localhost/mounts");
}
