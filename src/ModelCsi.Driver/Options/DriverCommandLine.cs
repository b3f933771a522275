using System.Globalization;

namespace ModelCsi.Driver.Options;

/// <summary>
/// The driver's flags, parsed strictly: an unknown flag or a flag without its value is an error, not a key
/// nobody reads. <c>--flag value</c> and <c>--flag=value</c>; a boolean flag alone means true; a list flag
/// takes comma-separated values; <c>-v</c>/<c>--v</c> take klog verbosity numbers as the CSI sidecars do.
/// </summary>
public sealed class DriverCommandLine
{
    private DriverCommandLine()
    {
    }

    public bool ShowHelp { get; private init; }

    public bool ShowVersion { get; private init; }

    public string? ConfigFile { get; private init; }

    /// <summary>Configuration keys (<c>cache:maxSize</c>) and values set by flags.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Values { get; private init; } = [];

    /// <summary>Configuration paths of list flags given (<c>noProxy</c>): they replace the YAML file's list, not merge into it.</summary>
    public IReadOnlySet<string> ListPaths { get; private init; } = new HashSet<string>();

    /// <exception cref="DriverConfigurationException">An unknown flag, or a flag without its value.</exception>
    public static DriverCommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        // By configuration path: a flag given twice keeps its last value, as with the sidecars' flags.
        var values = new Dictionary<string, List<KeyValuePair<string, string?>>>(StringComparer.OrdinalIgnoreCase);
        var lists = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string? configFile = null;
        bool help = false, version = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = equals < 0 ? arg : arg[..equals];
            string? inline = equals < 0 ? null : arg[(equals + 1)..];
            switch (flag)
            {
                case "--help" or "-h":
                    help = true;
                    continue;
                case "--version":
                    version = true;
                    continue;
                case "-v" or "--v":
                    values["logLevel"] = [new("logLevel", Verbosity(flag, inline ?? TakeValue(args, ref i, flag)))];
                    continue;
                case DriverOptionCatalog.ConfigFlag:
                    configFile = inline ?? TakeValue(args, ref i, flag);
                    continue;
                // The name every Kubernetes component uses, for kubernetes.kubeconfig.
                case "--kubeconfig":
                    values["kubernetes:kubeconfig"] = [new("kubernetes:kubeconfig", inline ?? TakeValue(args, ref i, flag))];
                    continue;
            }
            if (!flag.StartsWith("--", StringComparison.Ordinal))
            {
                throw new DriverConfigurationException($"unexpected argument '{arg}' (flags start with --; see --help)");
            }
            var entry = DriverOptionCatalog.ByFlag(flag)
                ?? throw new DriverConfigurationException($"unknown flag {flag} (see --help)");
            var value = inline ?? (entry.IsBoolean ? "true" : TakeValue(args, ref i, flag));
            if (entry.IsList)
            {
                lists.Add(entry.ConfigurationPath);
            }
            values[entry.ConfigurationPath] = entry.IsList
                ? [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select((item, n) => new KeyValuePair<string, string?>(entry.ConfigurationPath + ":" + n.ToString(CultureInfo.InvariantCulture), item))]
                : [new(entry.ConfigurationPath, value)];
        }
        return new DriverCommandLine { ShowHelp = help, ShowVersion = version, ConfigFile = configFile, Values = [.. values.Values.SelectMany(v => v)], ListPaths = lists };
    }

    private static string TakeValue(IReadOnlyList<string> args, ref int i, string flag)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new DriverConfigurationException($"flag {flag} needs a value (see --help)");
        }
        return args[++i];
    }

    /// <summary>klog's -v: 0-3 are the normal operational level, 4 debug, 5 and more trace.</summary>
    private static string Verbosity(string flag, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var level))
        {
            throw new DriverConfigurationException($"flag {flag} takes a verbosity number (e.g. {flag}=4 for debug, 5 for trace), not '{value}'");
        }
        return level switch
        {
            <= 3 => nameof(LogLevel.Information),
            4 => nameof(LogLevel.Debug),
            _ => nameof(LogLevel.Trace),
        };
    }
}
