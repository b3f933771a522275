using System.Globalization;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Benchmarks;

/// <summary>
/// Bytes written to the block device under a directory (<c>/sys/block/NAME/stat</c>, sectors written),
/// journal and metadata included, after a sync so that writeback is counted. For the work directory
/// on bench.sh's own loop filesystem, nothing else writes there.
/// </summary>
public sealed class DeviceWrites
{
    private readonly string _statPath;
    private readonly string _directory;

    private DeviceWrites(string statPath, string directory)
    {
        _statPath = statPath;
        _directory = directory;
        Device = Path.GetFileName(Path.GetDirectoryName(statPath)!);
    }

    public string Device { get; }

    /// <summary>The device under <paramref name="directory"/>, or null when it is not a plain block device (overlay, tmpfs).</summary>
    public static DeviceWrites? For(string directory)
    {
        var mount = MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo"))
            .Where(m => directory == m.MountPoint || directory.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(m => m.MountPoint.Length);
        if (mount?.Source is not { } source || !source.StartsWith("/dev/", StringComparison.Ordinal))
        {
            return null;
        }

        var stat = $"/sys/class/block/{Path.GetFileName(source)}/stat";
        return File.Exists(stat) ? new DeviceWrites(stat, directory) : null;
    }

    /// <summary>Syncs the filesystem, then reads the bytes written to the device so far.</summary>
    public async Task<long> ReadAsync(CancellationToken cancellationToken = default)
    {
        await ExternalCommand.RunAsync("sync", ["-f", _directory], cancellationToken);
        var fields = (await File.ReadAllTextAsync(_statPath, cancellationToken)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // Field 7 (index 6) is sectors written, in 512-byte units whatever the device's sector size.
        return long.Parse(fields[6], CultureInfo.InvariantCulture) * 512;
    }

    /// <summary>A process's own write_bytes (what it sent towards storage) from /proc/PID/io, or -1.</summary>
    public static long ProcessWriteBytes(int pid)
    {
        try
        {
            var line = File.ReadAllLines($"/proc/{pid}/io").FirstOrDefault(l => l.StartsWith("write_bytes:", StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line["write_bytes:".Length..].Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
