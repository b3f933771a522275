using System.Text.Json;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Driver.ModelCaches;

/// <summary><c>spec.selection</c>: which files of the model to cache, as a volume selects them.</summary>
public sealed record ModelCacheSelection(IReadOnlyList<string> IncludePatterns, IReadOnlyList<string> ExcludePatterns, bool ExcludeWeights)
{
    /// <summary>The selection as volume attributes, the form the cache reads selections in.</summary>
    public IReadOnlyDictionary<string, string> ToAttributes()
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (IncludePatterns.Count > 0)
        {
            attributes[LayerSelection.IncludePatternsKey] = JsonSerializer.Serialize(IncludePatterns);
        }

        if (ExcludePatterns.Count > 0)
        {
            attributes[LayerSelection.ExcludePatternsKey] = JsonSerializer.Serialize(ExcludePatterns);
        }

        if (ExcludeWeights)
        {
            attributes[LayerSelection.ExcludeWeightsKey] = "true";
        }

        return attributes;
    }
}
