using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ModelCsi.Benchmarks;

/// <summary>
/// Counts a process's <c>sched_yield</c> calls (thread-pool spinning shows up as hundreds of thousands)
/// with <c>perf stat</c> on the syscall tracepoint, attached for the span of one measurement. Counting
/// a tracepoint does not stop the traced process, unlike strace. NaN when perf or tracefs is missing.
/// </summary>
public sealed partial class SchedYieldCounter
{
    private const int SigInt = 2;

    private readonly Process? _perf;

    private SchedYieldCounter(Process? perf) => _perf = perf;

    public static async Task<SchedYieldCounter> StartAsync(int pid)
    {
        if (!ExternalCommand.Exists("perf"))
        {
            return new SchedYieldCounter(null);
        }

        var start = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "stat", "-x", ",", "-e", "syscalls:sys_enter_sched_yield", "-p", pid.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var perf = Process.Start(start);
        // perf gives no signal once attached; a moment's grace so the measurement's first calls are counted.
        await Task.Delay(300);
        return new SchedYieldCounter(perf);
    }

    /// <summary>Detaches perf and returns the count.</summary>
    public async Task<double> StopAsync()
    {
        if (_perf is null)
        {
            return double.NaN;
        }

        using (_perf)
        {
            if (_perf.HasExited)
            {
                return double.NaN;
            }

            _ = Kill(_perf.Id, SigInt);
            var stderr = await _perf.StandardError.ReadToEndAsync();
            await _perf.WaitForExitAsync();
            // CSV: "<count>,,syscalls:sys_enter_sched_yield,..."
            var line = stderr.Split('\n').FirstOrDefault(l => l.Contains("sched_yield", StringComparison.Ordinal));
            var count = line?.Split(',')[0];
            return double.TryParse(count, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
