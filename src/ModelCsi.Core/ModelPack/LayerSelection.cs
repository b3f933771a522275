using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Which layers of a model a volume wants. A layer is selected when it matches an include pattern (or there are
/// none), matches no exclude pattern, and is not a weight while weights are excluded. Patterns are matched
/// against the layer's file path annotation (<c>org.cncf.model.filepath</c>, <c>org.cnai.model.filepath</c>, else
/// <c>org.opencontainers.image.title</c>); a tar layer may hold a directory, so it also matches patterns that
/// match every name directly inside its path (<c>dir/**</c>, <c>dir/*</c>). A layer without a path matches no
/// pattern. Weights are known by media type kind (ModelPack <c>weight</c>, KitOps <c>model</c> and
/// <c>modelpart</c>), never guessed from file names.
/// </summary>
public sealed class LayerSelection
{
    public const string IncludePatternsKey = "includePatterns";
    public const string ExcludePatternsKey = "excludePatterns";
    public const string ExcludeWeightsKey = "excludeWeights";

    /// <summary>The reference driver's spelling of <see cref="ExcludeWeightsKey"/>.</summary>
    public const string ReferenceExcludeWeightsKey = "model.csi.modelpack.org/exclude-model-weights";

    /// <summary>The reference driver's spelling of <see cref="ExcludePatternsKey"/>.</summary>
    public const string ReferenceExcludePatternsKey = "model.csi.modelpack.org/exclude-file-patterns";

    /// <summary>Most include and exclude patterns together in one selection.</summary>
    public const int MaxPatterns = 256;

    /// <summary>Most characters of all patterns together, and of all selection attribute values together.</summary>
    public const int MaxTotalChars = 64 * 1024;

    /// <summary>Every attribute key a selection is read from.</summary>
    public static readonly IReadOnlyList<string> AttributeKeys =
        [IncludePatternsKey, ExcludePatternsKey, ExcludeWeightsKey, ReferenceExcludeWeightsKey, ReferenceExcludePatternsKey];

    private readonly IReadOnlyList<GlobPattern> _include;
    private readonly IReadOnlyList<GlobPattern> _exclude;

    /// <exception cref="FormatException">
    /// A pattern is invalid, there are more than <see cref="MaxPatterns"/> or more than <see cref="MaxTotalChars"/>
    /// characters of them, or the selection would select everything.
    /// </exception>
    [JsonConstructor]
    public LayerSelection(IReadOnlyList<string> include, IReadOnlyList<string> exclude, bool excludeWeights)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        // Bounded before anything is parsed: every pattern costs memory and matching time for every layer.
        if (include.Count + exclude.Count > MaxPatterns)
        {
            throw new FormatException($"the layer selection has {include.Count + exclude.Count} patterns (at most {MaxPatterns} allowed)");
        }

        long chars = 0;
        foreach (var pattern in include.Concat(exclude))
        {
            chars += pattern?.Length ?? 0;
        }

        if (chars > MaxTotalChars)
        {
            throw new FormatException($"the layer selection's patterns total {chars} characters (at most {MaxTotalChars} allowed)");
        }

        _include = include.Select(GlobPattern.Parse).ToList();
        _exclude = exclude.Select(GlobPattern.Parse).ToList();
        Include = _include.Select(p => p.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Exclude = _exclude.Select(p => p.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        ExcludeWeights = excludeWeights;
        if (Include.Count == 0 && Exclude.Count == 0 && !excludeWeights)
        {
            throw new FormatException("the layer selection selects the whole model; leave it out instead");
        }

        CacheKey = ComputeKey();
    }

    /// <summary>Include patterns, normalised (trimmed, distinct, sorted).</summary>
    [JsonPropertyName("include")]
    public IReadOnlyList<string> Include { get; }

    /// <summary>Exclude patterns, normalised (trimmed, distinct, sorted).</summary>
    [JsonPropertyName("exclude")]
    public IReadOnlyList<string> Exclude { get; }

    [JsonPropertyName("excludeWeights")]
    public bool ExcludeWeights { get; }

    /// <summary>16 hex characters that name this selection in the cache; equal selections have equal keys.</summary>
    [JsonIgnore]
    public string CacheKey { get; }

    /// <summary>
    /// Reads a selection from volume attributes or StorageClass parameters; null when none is asked for.
    /// Pattern lists are a JSON array of strings or a comma separated list; booleans are "true" or "false".
    /// </summary>
    /// <exception cref="FormatException">A value is empty or invalid; the message names the key and the value.</exception>
    public static LayerSelection? FromAttributes(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        long chars = 0;
        foreach (var key in AttributeKeys)
        {
            chars += attributes.TryGetValue(key, out var value) ? value?.Length ?? 0 : 0;
        }

        if (chars > MaxTotalChars)
        {
            throw new FormatException($"the layer selection attributes total {chars} characters (at most {MaxTotalChars} allowed)");
        }

        var include = PatternList(attributes, IncludePatternsKey);
        var exclude = PatternList(attributes, ExcludePatternsKey).Concat(PatternList(attributes, ReferenceExcludePatternsKey)).ToList();
        var excludeWeights = Flag(attributes, ExcludeWeightsKey) | Flag(attributes, ReferenceExcludeWeightsKey);
        return include.Count == 0 && exclude.Count == 0 && !excludeWeights
            ? null
            : new LayerSelection(include, exclude, excludeWeights);
    }

    /// <summary>True when the selection keeps the layer.</summary>
    public bool Selects(OciDescriptor layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (ExcludeWeights && IsWeight(layer))
        {
            return false;
        }

        var path = FilePath(layer);
        var isTar = !LayerMediaType.TryParse(layer.MediaType, out var type) || type.Form != LayerForm.Raw;
        return (_include.Count == 0 || AnyMatches(_include, path, isTar)) && !AnyMatches(_exclude, path, isTar);
    }

    // A loop, not LINQ: this runs for every layer against every pattern, and must not allocate.
    private static bool AnyMatches(IReadOnlyList<GlobPattern> patterns, string? path, bool isTar)
    {
        if (path is null)
        {
            return false;
        }

        for (var i = 0; i < patterns.Count; i++)
        {
            if (isTar ? patterns[i].IsMatchAsDirectory(path) : patterns[i].IsMatch(path))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for layers whose media type says they hold model weights.</summary>
    public static bool IsWeight(OciDescriptor layer) =>
        LayerMediaType.TryParse(layer.MediaType, out var type) && type.Kind is LayerKind.Weight or LayerKind.ModelPart;

    /// <summary>The path a layer's content lands at in the model, or null when it names none.</summary>
    public static string? FilePath(OciDescriptor layer) =>
        layer.Annotation(ModelPackAnnotations.CncfFilePath)
        ?? layer.Annotation(ModelPackAnnotations.CnaiFilePath)
        ?? layer.Annotation(ModelPackAnnotations.ImageTitle);

    public override string ToString()
    {
        var parts = new List<string>();
        if (Include.Count > 0)
        {
            parts.Add($"include [{string.Join(", ", Include)}]");
        }

        if (Exclude.Count > 0)
        {
            parts.Add($"exclude [{string.Join(", ", Exclude)}]");
        }

        if (ExcludeWeights)
        {
            parts.Add("exclude weights");
        }

        return string.Join("; ", parts);
    }

    private string ComputeKey()
    {
        // Version tag first: a change of matching rules must not reuse directories assembled under the old ones.
        var text = new StringBuilder("selection-v1\n");
        foreach (var pattern in Include)
        {
            text.Append("+ ").Append(pattern).Append('\n');
        }

        foreach (var pattern in Exclude)
        {
            text.Append("- ").Append(pattern).Append('\n');
        }

        text.Append(ExcludeWeights ? "weights: no\n" : "weights: yes\n");
        return Digest.Hex(Digest.Of(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static List<string> PatternList(IReadOnlyDictionary<string, string> attributes, string key)
    {
        if (!attributes.TryGetValue(key, out var value))
        {
            return [];
        }

        var trimmed = value.Trim();
        List<string> patterns;
        if (trimmed.StartsWith('['))
        {
            try
            {
                patterns = JsonSerializer.Deserialize<List<string>>(trimmed) ?? [];
            }
            catch (JsonException e)
            {
                throw new FormatException($"{key} '{ValueExcerpt.Of(value)}' is not a JSON array of strings: {ValueExcerpt.Of(e.Message)}", e);
            }
        }
        else
        {
            patterns = trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        }

        if (patterns.Count == 0)
        {
            throw new FormatException($"{key} '{ValueExcerpt.Of(value)}' names no pattern; leave the key out to select every layer");
        }

        if (patterns.Count > MaxPatterns)
        {
            throw new FormatException($"{key} has {patterns.Count} patterns (at most {MaxPatterns} allowed)");
        }

        foreach (var pattern in patterns)
        {
            try
            {
                GlobPattern.Parse(pattern ?? string.Empty);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{key} '{ValueExcerpt.Of(value)}': {e.Message}", e);
            }
        }

        return patterns;
    }

    private static bool Flag(IReadOnlyDictionary<string, string> attributes, string key)
    {
        if (!attributes.TryGetValue(key, out var value))
        {
            return false;
        }

        return value.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new FormatException($"{key} '{ValueExcerpt.Of(value)}' is not a boolean; use \"true\" or \"false\""),
        };
    }
}
