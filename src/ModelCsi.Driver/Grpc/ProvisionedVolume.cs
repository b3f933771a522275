using Csi.V1;

namespace ModelCsi.Driver.Grpc;

/// <summary>One created volume and the parameters it was created from.</summary>
internal sealed record ProvisionedVolume(string Name, IReadOnlyDictionary<string, string> Parameters, Volume Volume)
{
    public bool HasSameParameters(IReadOnlyDictionary<string, string> parameters) =>
        Parameters.Count == parameters.Count
        && Parameters.All(p => parameters.TryGetValue(p.Key, out var value) && string.Equals(value, p.Value, StringComparison.Ordinal));
}
