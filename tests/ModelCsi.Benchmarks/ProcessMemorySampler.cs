using System.Globalization;

namespace ModelCsi.Benchmarks;

/// <summary>
/// Polls a process's /proc/PID/status every 50 ms and keeps the largest VmRSS seen, plus VmHWM (the
/// kernel's own high-water mark, which also covers moments between samples).
/// </summary>
public sealed class ProcessMemorySampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _stopped;

    private ProcessMemorySampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    public long PeakRssBytes { get; private set; }

    public long HighWaterMarkBytes { get; private set; }

    public int Samples { get; private set; }

    public static ProcessMemorySampler Start(int pid) => new(pid);

    /// <summary>One reading of VmRSS and VmHWM in bytes, or null when the process is gone.</summary>
    public static (long Rss, long Hwm)? Read(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }

        return (Field(lines, "VmRSS:"), Field(lines, "VmHWM:"));
    }

    /// <summary>RssAnon in bytes (heap, stacks: what the process allocated, not the code it maps), NaN when gone.</summary>
    public static double ReadAnonymous(int pid)
    {
        try
        {
            return Field(File.ReadAllLines($"/proc/{pid}/status"), "RssAnon:");
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Seconds of CPU the process has used so far in user and in kernel mode, from /proc/PID/stat.</summary>
    public static (double User, double System) CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which may hold spaces) start at state, field 3; utime and stime are 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // USER_HZ is 100 on Linux.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / 100.0, long.Parse(fields[12], CultureInfo.InvariantCulture) / 100.0);
    }

    private static long Field(string[] lines, string name)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        var kib = line[name.Length..].Trim().Split(' ')[0];
        return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            Sample();
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Sample()
    {
        if (Read(_pid) is not { } reading)
        {
            return;
        }

        Samples++;
        PeakRssBytes = Math.Max(PeakRssBytes, reading.Rss);
        HighWaterMarkBytes = Math.Max(HighWaterMarkBytes, reading.Hwm);
    }

    /// <summary>Stops sampling after one last reading; the figures stay readable.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stop.CancelAsync();
        await _loop;
        Sample();
        _stop.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
