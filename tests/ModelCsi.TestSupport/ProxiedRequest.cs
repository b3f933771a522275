namespace ModelCsi.TestSupport;

/// <summary>A request seen by <see cref="FaultProxy"/>: method, path with query, the Range header if any, and whether it carried Authorization.</summary>
public sealed record ProxiedRequest(string Method, string Path, string? Range, bool HasAuthorization)
{
    /// <summary>All request headers as received (the last value of a repeated header).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
