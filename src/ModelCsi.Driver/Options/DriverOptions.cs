namespace ModelCsi.Driver.Options;

/// <summary>The driver's own settings: YAML file, then CSI_* environment, then flags (later wins).</summary>
public sealed class DriverOptions
{
    public const string DefaultDriverName = "model.csi.modelpack.org";
    public const string DefaultRootDirectory = "/var/lib/model-csi";
    public const string DefaultKubeletDirectory = "/var/lib/kubelet";

    /// <summary>unix:///absolute/path.sock, where the CO connects.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>This node's id as reported by NodeGetInfo; defaults to the host name.</summary>
    public string NodeId { get; set; } = Environment.MachineName;

    /// <summary>Holds the model cache and the published-volume records.</summary>
    public string RootDir { get; set; } = DefaultRootDirectory;

    /// <summary>
    /// kubelet's root directory. Target paths must lie under it: a publish never mounts over, and an unpublish
    /// never unmounts, anything elsewhere on the host.
    /// </summary>
    public string KubeletDir { get; set; } = DefaultKubeletDirectory;

    public string DriverName { get; set; } = DefaultDriverName;

    public DriverMode Mode { get; set; } = DriverMode.Node;

    /// <summary>How long a second operation on the same volume and target waits before it is answered Aborted.</summary>
    public TimeSpan OperationLockWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// host:port of the HTTP listener serving <c>/metrics</c> and <c>/healthz</c>; <c>:9090</c> listens on every
    /// address. Empty turns the listener off.
    /// </summary>
    public string MetricsAddress { get; set; } = ":9090";

    /// <summary>Least severe log level written.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>One line of text per message, or one JSON object per line for log collectors.</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Text;

    public bool ServesNode => Mode is DriverMode.Node or DriverMode.All;

    public bool ServesController => Mode is DriverMode.Controller or DriverMode.All;
}
