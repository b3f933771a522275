using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace ModelCsi.Driver.Options;

/// <summary>Builds the driver's configuration: defaults, then the YAML file, then CSI_* variables, then flags.</summary>
internal static class DriverConfiguration
{
    /// <summary>
    /// Replaces every source of <paramref name="configuration"/> with the driver's own, in precedence order, and
    /// checks every key and value so a mistake stops the start with one line.
    /// </summary>
    /// <exception cref="DriverConfigurationException">An unreadable file, an unknown key or a value of the wrong kind.</exception>
    public static void Apply(IConfigurationManager configuration, DriverCommandLine commandLine)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(commandLine);
        configuration.Sources.Clear();
        if (!string.IsNullOrEmpty(commandLine.ConfigFile))
        {
            // Index-merged lists would keep the file's extra entries under a shorter list from a flag.
            configuration.AddInMemoryCollection(ReadConfigFile(commandLine.ConfigFile)
                .Where(p => !commandLine.ListPaths.Any(list => p.Key.StartsWith(list + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase))));
        }
        configuration.AddInMemoryCollection(FromEnvironment());
        configuration.AddInMemoryCollection(commandLine.Values);
        DriverConfigurationChecker.Check(configuration);
    }

    private static IEnumerable<KeyValuePair<string, string?>> ReadConfigFile(string path)
    {
        try
        {
            return ReadYaml(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException or InvalidCastException)
        {
            var reason = e switch
            {
                YamlDotNet.Core.YamlException yaml => $"not valid YAML at line {yaml.Start.Line}: {yaml.Message}",
                InvalidCastException => "keys must be plain strings",
                _ => e.Message,
            };
            throw new DriverConfigurationException($"config file {path}: {reason}");
        }
    }

    /// <summary>Flattens a YAML document into configuration keys (nested maps joined by ':', sequences indexed).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ReadYaml(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }
        var values = new List<KeyValuePair<string, string?>>();
        if (yaml.Documents.Count > 0)
        {
            Flatten(yaml.Documents[0].RootNode, prefix: null, values);
        }
        return values;
    }

    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment()
    {
        // The CSI spec names CSI_ENDPOINT; CSI_NODE_ID follows the common DaemonSet convention (spec.nodeName).
        var endpoint = Environment.GetEnvironmentVariable("CSI_ENDPOINT");
        if (!string.IsNullOrEmpty(endpoint))
        {
            yield return new(nameof(DriverOptions.Endpoint), endpoint);
        }
        var nodeId = Environment.GetEnvironmentVariable("CSI_NODE_ID");
        if (!string.IsNullOrEmpty(nodeId))
        {
            yield return new(nameof(DriverOptions.NodeId), nodeId);
        }
    }

    private static void Flatten(YamlNode node, string? prefix, List<KeyValuePair<string, string?>> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, child) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    Flatten(child, prefix is null ? name : prefix + ConfigurationPath.KeyDelimiter + name, values);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], prefix + ConfigurationPath.KeyDelimiter + i.ToString(System.Globalization.CultureInfo.InvariantCulture), values);
                }
                break;
            case YamlScalarNode scalar when prefix is not null:
                values.Add(new(prefix, scalar.Value));
                break;
        }
    }
}
