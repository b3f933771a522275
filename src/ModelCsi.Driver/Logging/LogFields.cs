namespace ModelCsi.Driver.Logging;

/// <summary>
/// The fields a log line carries besides its message, taken from the scopes the driver opens (per RPC: rpc,
/// volume, target; per publish: pod, model) and from the message's own arguments. Everything else in a scope
/// (ASP.NET's ConnectionId, RequestId, TraceId...) is left out: it made lines ~500 characters long and means
/// nothing to a CSI driver's operator.
/// </summary>
internal sealed class LogFields
{
    /// <summary>Output names in the order they are written.</summary>
    public static readonly string[] Names = ["rpc", "volume", "target", "pod", "model", "digest"];

    private readonly string?[] _values = new string?[Names.Length];
    private string? _podNamespace;
    private string? _podName;

    public static LogFields Collect<TState>(TState state, Microsoft.Extensions.Logging.IExternalScopeProvider? scopes)
    {
        var fields = new LogFields();
        scopes?.ForEachScope((scope, collected) => collected.Add(scope), fields);
        // The message's own arguments fill what no scope set (a cache line names the model it pulls).
        fields.Add(state);
        return fields;
    }

    /// <summary>The fields that have a value, in <see cref="Names"/> order.</summary>
    public IEnumerable<(string Name, string Value)> Present()
    {
        if (_values[3] is null && (_podNamespace is not null || _podName is not null))
        {
            _values[3] = $"{_podNamespace}/{_podName}";
        }
        for (var i = 0; i < Names.Length; i++)
        {
            if (_values[i] is { Length: > 0 } value && value != "-")
            {
                yield return (Names[i], value);
            }
        }
    }

    private void Add(object? scope)
    {
        if (scope is not IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return;
        }
        foreach (var (key, value) in pairs)
        {
            var text = value?.ToString();
            switch (key)
            {
                case "Method": Set(0, text); break;
                case "VolumeId": Set(1, text); break;
                case "TargetPath": Set(2, text); break;
                case "PodNamespace": _podNamespace ??= text; break;
                case "PodName": _podName ??= text; break;
                case "ModelReference" or "Reference": Set(4, text); break;
                case "ManifestDigest": Set(5, text); break;
            }
        }
    }

    private void Set(int index, string? value) => _values[index] ??= value;
}
