using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace ModelCsi.Driver.Options;

/// <summary>Builds the driver's configuration: defaults, then the YAML file, then CSI_* variables, then flags.</summary>
internal static class DriverConfiguration
{
    private static readonly Dictionary<string, string> FlagMappings = new(StringComparer.Ordinal)
    {
        ["--endpoint"] = nameof(DriverOptions.Endpoint),
        ["--node-id"] = nameof(DriverOptions.NodeId),
        ["--root-dir"] = nameof(DriverOptions.RootDir),
        ["--driver-name"] = nameof(DriverOptions.DriverName),
        ["--mode"] = nameof(DriverOptions.Mode),
        ["--metrics-address"] = nameof(DriverOptions.MetricsAddress),
        ["--config"] = "config",
        ["--kubeconfig"] = "kubernetes:kubeconfig",
    };

    /// <summary>Replaces every source of <paramref name="configuration"/> with the driver's own, in precedence order.</summary>
    public static void Apply(IConfigurationManager configuration, string[] args)
    {
        var flags = new ConfigurationBuilder().AddCommandLine(args, FlagMappings).Build();
        configuration.Sources.Clear();
        var configFile = flags["config"];
        if (!string.IsNullOrEmpty(configFile))
        {
            configuration.AddInMemoryCollection(ReadYaml(configFile));
        }
        configuration.AddInMemoryCollection(FromEnvironment());
        configuration.AddCommandLine(args, FlagMappings);
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
