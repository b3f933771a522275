namespace ModelCsi.Core.Kubernetes;

/// <summary>Pod Events about model pulls (<c>events:</c> in the driver config). Off unless enabled.</summary>
public sealed class PullEventOptions
{
    public bool Enabled { get; set; }

    /// <summary>A progress Event at least this often while bytes arrive.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Also a progress Event each time this many more percent are done (0 disables)...</summary>
    public int ProgressPercentStep { get; set; } = 25;

    /// <summary>...but never two progress Events closer than this.</summary>
    public TimeSpan MinProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Event's reporting component / source.</summary>
    public string ReportingComponent { get; set; } = "modelcsi";
}
