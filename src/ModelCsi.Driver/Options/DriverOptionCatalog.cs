using System.Globalization;
using System.Reflection;
using System.Text;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Kubernetes;

namespace ModelCsi.Driver.Options;

/// <summary>
/// Every setting the driver reads, found by reflection over the options classes it binds, so a new property
/// becomes a flag, a YAML key, a line of <c>--help</c> and a row the README test asks for without being
/// listed twice. Only the meaning is written here (the options classes live in Core, which has no say in flags).
/// </summary>
public static class DriverOptionCatalog
{
    /// <summary>The options classes bound from the configuration and the section each is bound from ("" = top level).</summary>
    internal static readonly (string Section, Type Type)[] Sections =
    [
        ("", typeof(DriverOptions)),
        ("", typeof(DriverRegistryOptions)),
        ("cache", typeof(ModelCacheOptions)),
        ("cache.fetch", typeof(Core.Transfer.LayerFetchOptions)),
        ("credentials", typeof(CredentialOptions)),
        ("events", typeof(PullEventOptions)),
        ("kubernetes", typeof(KubernetesOptions)),
        ("modelCache", typeof(ModelCaches.ModelCacheResourceOptions)),
        ("signatures", typeof(Core.Signing.SignaturePolicyOptions)),
    ];

    /// <summary>Free-form sections passed to .NET as they are (per-category log levels).</summary>
    internal static readonly string[] PassThroughSections = ["Logging"];

    /// <summary>Properties that are set by the driver itself, not by users.</summary>
    private static readonly HashSet<string> Internal = new(StringComparer.OrdinalIgnoreCase)
    {
        "cache.rootDirectory",
        "cache.reconcileAtStart",
        // A section of its own (cache.fetch.*), listed key by key.
        "cache.fetch",
    };

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["endpoint"] = "CSI socket, unix:///absolute/path.sock (env CSI_ENDPOINT)",
        ["nodeId"] = "this node's id in NodeGetInfo (env CSI_NODE_ID)",
        ["rootDir"] = "holds the model cache and the published-volume records",
        ["kubeletDir"] = "kubelet's root directory: target paths must lie under it",
        ["allowedRegistries"] = "registry hosts models may come from (host, host:port, *.domain); empty allows any",
        ["driverName"] = "CSI driver name",
        ["mode"] = "services served: node, controller or all",
        ["operationLockWait"] = "how long a second operation on the same volume waits before Aborted",
        ["metricsAddress"] = "host:port serving /metrics and /healthz; empty turns it off",
        ["logLevel"] = "least severe level logged: trace, debug, information, warning, error, critical, none",
        ["logFormat"] = "text, or json (one object per line)",
        ["registries"] = "per-registry transport settings and mirrors (YAML only; see Registry settings)",
        ["httpProxy"] = "HTTP(S) proxy for registry traffic",
        ["noProxy"] = "hosts reached without the proxy (comma-separated as a flag)",
        ["cache.maxParallelLayers"] = "layers of one model fetched at once",
        ["cache.reservedFreeBytes"] = "bytes always kept free on the cache filesystem",
        ["cache.maxSize"] = "most the cache may hold: 200Gi, 500Mi, 10G, bytes; 0 = no bound",
        ["cache.minFreePercent"] = "share (0-100) of the cache filesystem kept free",
        ["cache.gcInterval"] = "periodic eviction back under the limits; 00:00:00 turns it off",
        ["cache.partialMaxAge"] = "partial downloads older than this are deleted at start",
        ["cache.orphanGracePeriod"] = "verified blobs and layers no model references are kept this long for a retried pull",
        ["credentials.podPullSecrets"] = "use the pod's and its ServiceAccount's imagePullSecrets",
        ["credentials.nodeDockerConfig"] = "use docker config files on the node",
        ["credentials.dockerConfigPaths"] = "docker config files, in order (default: the kubelet's, then root's)",
        ["kubernetes.kubeconfig"] = "kubeconfig file for running outside a cluster (also --kubeconfig, KUBECONFIG); empty = in-cluster",
        ["kubernetes.context"] = "kubeconfig context to use; empty = its current context",
        ["modelCache.enabled"] = "warm and pin models that ModelCache resources ask for on this node",
        ["modelCache.pullSecrets"] = "read the Secret a ModelCache's spec.pullSecretRef names",
        ["modelCache.progressInterval"] = "a node writes its ModelCache status at most this often while pulling",
        ["modelCache.retryFailedAfter"] = "a failed warm-up is retried after this long",
        ["modelCache.resyncInterval"] = "ModelCaches are re-read this often even without watch events",
        ["modelCache.reconnectBackoff"] = "first wait before a broken watch reconnects",
        ["modelCache.reconnectBackoffMax"] = "longest wait between watch reconnects",
        ["signatures.rules"] = "signature policy: ordered rules (name, match, mode, keys) checked before a model is mounted (YAML only; see Signature verification)",
        ["cache.fetch.bufferSize"] = "size of each buffer in the ring a layer download uses",
        ["cache.fetch.bufferCount"] = "buffers in the ring (memory per layer download = size x count)",
        ["cache.fetch.writebackInterval"] = "writeback of a raw layer's file is started every this many bytes",
        ["cache.fetch.tarCheckpointInterval"] = "a plain tar layer records a resumable checkpoint (after syncing its entries) every this many bytes; 0 disables",
        ["cache.fetch.timeout"] = "the whole download of one layer, reconnects included",
        ["cache.fetch.minimumBytesPerSecond"] = "a download slower than this over the rate window is abandoned as stalled; 0 disables",
        ["cache.fetch.rateWindow"] = "the window the minimum rate is measured over",
        ["cache.fetch.maxReconnects"] = "dropped connections continued with Range in a row without progress",
        ["events.enabled"] = "Kubernetes Events on the pod while its model is pulled",
        ["events.progressInterval"] = "a progress Event at least this often",
        ["events.progressPercentStep"] = "also a progress Event every this many percent (0 disables)",
        ["events.minProgressInterval"] = "never two progress Events closer than this",
        ["events.reportingComponent"] = "the Events' reporting component",
    };

    private static readonly Lazy<IReadOnlyList<DriverOptionEntry>> Catalog = new(Build);

    public static IReadOnlyList<DriverOptionEntry> All => Catalog.Value;

    /// <summary>The flag for <c>--config FILE</c>, which names the YAML file instead of setting an option.</summary>
    public const string ConfigFlag = "--config";

    public static DriverOptionEntry? ByFlag(string flag) => All.FirstOrDefault(e => string.Equals(e.Flag, flag, StringComparison.Ordinal));

    /// <summary>The element type of a list property (<c>IList&lt;T&gt;</c>), or null.</summary>
    internal static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }
        var list = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>));
        return list?.GetGenericArguments()[0];
    }

    /// <summary>The value type of a string-keyed dictionary property, or null.</summary>
    internal static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary is not null && dictionary.GetGenericArguments()[0] == typeof(string) ? dictionary.GetGenericArguments()[1] : null;
    }

    /// <summary>Strings, numbers, booleans, enums, durations and sizes: what one flag or YAML scalar can hold.</summary>
    internal static bool IsScalar(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        return inner.IsPrimitive || inner.IsEnum || inner == typeof(string) || inner == typeof(decimal)
            || inner == typeof(TimeSpan) || inner == typeof(ByteSize) || inner == typeof(Uri);
    }

    /// <summary>The properties configuration binding sets: settable ones and get-only collections.</summary>
    internal static IEnumerable<PropertyInfo> BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null
                && (p.SetMethod is { IsPublic: true } || ElementType(p.PropertyType) is not null || DictionaryValueType(p.PropertyType) is not null));

    internal static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary><c>cache.maxSize</c> becomes <c>--cache-max-size</c>.</summary>
    internal static string FlagFor(string key)
    {
        var flag = new StringBuilder("--");
        foreach (var c in key)
        {
            if (c == '.')
            {
                flag.Append('-');
            }
            else if (char.IsUpper(c))
            {
                flag.Append('-').Append(char.ToLowerInvariant(c));
            }
            else
            {
                flag.Append(c);
            }
        }
        return flag.ToString();
    }

    private static List<DriverOptionEntry> Build()
    {
        var entries = new List<DriverOptionEntry>();
        foreach (var (section, type) in Sections)
        {
            var defaults = Activator.CreateInstance(type)!;
            foreach (var property in BindableProperties(type))
            {
                var key = (section.Length == 0 ? "" : section + ".") + CamelCase(property.Name);
                if (Internal.Contains(key))
                {
                    continue;
                }
                var flat = IsScalar(property.PropertyType) || (ElementType(property.PropertyType) is { } element && IsScalar(element));
                // A new property without a description still works; DriverConfigurationTests asks for the text.
                var description = Descriptions.GetValueOrDefault(key, "");
                entries.Add(new DriverOptionEntry(key, flat ? FlagFor(key) : null, property.PropertyType, FormatDefault(key, property.GetValue(defaults)), description));
            }
        }
        return entries;
    }

    private static string FormatDefault(string key, object? value) => key switch
    {
        "nodeId" => "(host name)",
        "endpoint" => "(required)",
        "credentials.dockerConfigPaths" => "(kubelet's, root's)",
        _ => value switch
        {
            null => "",
            bool b => b ? "true" : "false",
            Enum e => e.ToString().ToLowerInvariant(),
            TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
            string s => s,
            System.Collections.IEnumerable list => "[" + string.Join(",", list.Cast<object>()) + "]",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        },
    };
}
