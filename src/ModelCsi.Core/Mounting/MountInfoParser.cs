using System.Globalization;
using System.Text;

namespace ModelCsi.Core.Mounting;

/// <summary>Parses /proc/self/mountinfo text. Pure, so it is tested on fixture text.</summary>
public static class MountInfoParser
{
    /// <summary>Parses every well-formed line; malformed lines are skipped rather than failing the whole read.</summary>
    public static IReadOnlyList<MountInfoEntry> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<MountInfoEntry>();
        foreach (var line in text.Split('\n'))
        {
            if (TryParseLine(line, out var entry))
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    /// <summary>
    /// The topmost mount at exactly <paramref name="mountPoint"/>: mountinfo lists mounts in creation order,
    /// so the last match is the one a path lookup sees.
    /// </summary>
    public static MountInfoEntry? FindByMountPoint(IReadOnlyList<MountInfoEntry> entries, string mountPoint)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var wanted = NormalizePath(mountPoint);
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(entries[i].MountPoint, wanted, StringComparison.Ordinal))
            {
                return entries[i];
            }
        }
        return null;
    }

    /// <summary>The form the kernel prints: absolute, no trailing slash (except the root itself).</summary>
    public static string NormalizePath(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    public static bool TryParseLine(string line, out MountInfoEntry entry)
    {
        entry = null!;
        // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
        var fields = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var separator = Array.IndexOf(fields, "-");
        if (separator < 6 || fields.Length < separator + 3)
        {
            return false;
        }
        if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var mountId)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parentId))
        {
            return false;
        }
        entry = new MountInfoEntry(
            mountId,
            parentId,
            fields[2],
            Unescape(fields[3]),
            Unescape(fields[4]),
            fields[5].Split(','),
            fields[6..separator],
            Unescape(fields[separator + 1]),
            Unescape(fields[separator + 2]),
            fields.Length > separator + 3 ? fields[separator + 3].Split(',') : []);
        return true;
    }

    /// <summary>Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        // Escapes encode single bytes of a possibly multi-byte UTF-8 name, so decode bytes first.
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                bytes.Add((byte)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
