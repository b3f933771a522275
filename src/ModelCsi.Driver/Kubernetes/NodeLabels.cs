namespace ModelCsi.Driver.Kubernetes;

/// <summary>A Node's name and labels: all ModelCaches need of it.</summary>
public sealed record NodeLabels(string Name, IReadOnlyDictionary<string, string> Labels);
