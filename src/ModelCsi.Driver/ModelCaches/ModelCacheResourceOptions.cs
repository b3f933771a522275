namespace ModelCsi.Driver.ModelCaches;

/// <summary>ModelCache support (<c>modelCache:</c> in the driver config). On whenever a Kubernetes API is configured.</summary>
public sealed class ModelCacheResourceOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Read <c>spec.pullSecretRef</c> Secrets (needs <c>secrets get</c> for the node plugin).</summary>
    public bool PullSecrets { get; set; }

    /// <summary>A node writes download progress to its status entry at most this often.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A node tries a Failed ModelCache again after this long.</summary>
    public TimeSpan RetryFailedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The controller re-resolves failed references and recounts at least this often.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>First wait before reconnecting a failed watch; doubles up to <see cref="ReconnectBackoffMax"/>.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(30);
}
