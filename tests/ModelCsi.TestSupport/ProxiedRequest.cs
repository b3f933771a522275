namespace ModelCsi.TestSupport;

/// <summary>A request seen by <see cref="FaultProxy"/>: method, path with query, and the Range header if any.</summary>
public sealed record ProxiedRequest(string Method, string Path, string? Range);
