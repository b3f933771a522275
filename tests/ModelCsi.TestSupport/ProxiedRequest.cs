namespace ModelCsi.TestSupport;

/// <summary>A request seen by <see cref="FaultProxy"/>: method, path with query, the Range header if any, and whether it carried Authorization.</summary>
public sealed record ProxiedRequest(string Method, string Path, string? Range, bool HasAuthorization);
