using System.Text;

namespace ModelCsi.Driver.Options;

/// <summary>The text of <c>modelcsi-driver --help</c>: every flag with its YAML key and default, from the catalog.</summary>
internal static class DriverHelp
{
    public static string Text()
    {
        var text = new StringBuilder();
        text.AppendLine("Usage: modelcsi-driver --endpoint unix:///csi/csi.sock [flags]");
        text.AppendLine();
        text.AppendLine("Mounts ModelPack models from OCI registries read-only into pods (a CSI node and controller plugin).");
        text.AppendLine("Precedence: flags, then CSI_ENDPOINT / CSI_NODE_ID, then the YAML file of --config, then defaults.");
        text.AppendLine("Every flag is also a YAML key (shown in brackets); lists take comma-separated values as flags.");
        text.AppendLine();
        text.AppendLine("Flags:");
        text.AppendLine("  --config FILE                YAML file with any of the keys below");
        text.AppendLine("  -h, --help                   print this help and exit");
        text.AppendLine("  --version                    print version, commit and runtime and exit");
        text.AppendLine("  -v, --v N                    log verbosity as CSI sidecars take it: 0-3 information, 4 debug, 5 trace");
        foreach (var entry in DriverOptionCatalog.All)
        {
            var left = entry.Flag is null ? "(YAML only)" : $"{entry.Flag} {Placeholder(entry)}".TrimEnd();
            var defaultText = entry.Default.Length == 0 ? "" : entry.Default.StartsWith('(') ? " " + entry.Default : $" (default {entry.Default})";
            text.Append("  ").Append(left.PadRight(28)).Append(' ').Append(entry.Key).AppendLine(defaultText);
            text.Append(' ', 31).AppendLine(entry.Description);
        }
        text.AppendLine();
        text.AppendLine("Exit codes: 0 stopped cleanly, 2 invalid configuration, 1 other failure.");
        return text.ToString();
    }

    private static string Placeholder(DriverOptionEntry entry)
    {
        var type = Nullable.GetUnderlyingType(entry.Type) ?? entry.Type;
        return entry.IsBoolean ? "[=true|false]"
            : entry.IsList ? "A,B"
            : type.IsEnum ? string.Join('|', Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
            : type == typeof(TimeSpan) ? "HH:MM:SS"
            : type == typeof(Core.Cache.ByteSize) ? "SIZE"
            : type.IsPrimitive ? "N"
            : "VALUE";
    }
}
