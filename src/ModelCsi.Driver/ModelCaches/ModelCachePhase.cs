namespace ModelCsi.Driver.ModelCaches;

/// <summary>A node's <c>status.nodes[].phase</c>.</summary>
public static class ModelCachePhase
{
    public const string Pending = "Pending";
    public const string Pulling = "Pulling";
    public const string Ready = "Ready";
    public const string Failed = "Failed";

    public static IReadOnlyList<string> All { get; } = [Pending, Pulling, Ready, Failed];
}
