namespace ModelCsi.Core.Kubernetes;

/// <summary>One <c>matchExpressions</c> entry: <c>In</c>, <c>NotIn</c>, <c>Exists</c> or <c>DoesNotExist</c>.</summary>
public sealed record LabelSelectorRequirement
{
    public const string In = "In";
    public const string NotIn = "NotIn";
    public const string Exists = "Exists";
    public const string DoesNotExist = "DoesNotExist";

    /// <exception cref="FormatException">An unknown operator, or values that do not fit it (as the API server rejects them).</exception>
    public LabelSelectorRequirement(string key, string @operator, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (string.IsNullOrEmpty(key))
        {
            throw new FormatException("a matchExpressions entry needs a key");
        }

        switch (@operator)
        {
            case In or NotIn when values.Count == 0:
                throw new FormatException($"matchExpressions {key} {@operator} needs at least one value");
            case Exists or DoesNotExist when values.Count > 0:
                throw new FormatException($"matchExpressions {key} {@operator} takes no values");
            case In or NotIn or Exists or DoesNotExist:
                break;
            default:
                throw new FormatException($"matchExpressions {key}: unknown operator \"{@operator}\" (In, NotIn, Exists or DoesNotExist)");
        }

        Key = key;
        Operator = @operator;
        Values = values;
    }

    public string Key { get; }

    public string Operator { get; }

    public IReadOnlyList<string> Values { get; }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            In => has && Values.Contains(value!, StringComparer.Ordinal),
            // As in Kubernetes: NotIn also matches objects without the label.
            NotIn => !has || !Values.Contains(value!, StringComparer.Ordinal),
            Exists => has,
            _ => !has,
        };
    }

    public override string ToString() => Operator switch
    {
        Exists => Key,
        DoesNotExist => "!" + Key,
        _ => $"{Key} {Operator.ToLowerInvariant()} ({string.Join(",", Values)})",
    };
}
