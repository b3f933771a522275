using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ModelCsi.Driver.Options;

/// <summary>
/// Walks every configuration key through the options classes it would bind to: a key no class has (a typo)
/// or a value its property cannot hold (<c>maxSize: lots</c>, <c>gcInterval: 10 minutes</c>) is an error
/// at start, where configuration binding would ignore the first and crash on the second at first use.
/// </summary>
internal static class DriverConfigurationChecker
{
    /// <exception cref="DriverConfigurationException">The first unknown key or unconvertible value.</exception>
    public static void Check(IConfiguration configuration)
    {
        // Sorted so the error names the same key every run.
        foreach (var (key, value) in configuration.AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (value is null)
            {
                continue;
            }
            var segments = key.Split(ConfigurationPath.KeyDelimiter);
            if (DriverOptionCatalog.PassThroughSections.Contains(segments[0], StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            var type = TopLevel(segments[0]) ?? throw Unknown(segments, 0);
            for (var i = 1; i < segments.Length; i++)
            {
                type = Child(type, segments[i]) ?? throw Unknown(segments, i);
            }
            CheckValue(type, segments, value);
        }
    }

    private static Type? TopLevel(string name)
    {
        foreach (var (section, type) in DriverOptionCatalog.Sections)
        {
            if (section.Length == 0)
            {
                if (Property(type, name) is { } property)
                {
                    return property;
                }
            }
            else if (string.Equals(section, name, StringComparison.OrdinalIgnoreCase))
            {
                return type;
            }
        }
        return null;
    }

    private static Type? Child(Type type, string segment)
    {
        if (DriverOptionCatalog.ElementType(type) is { } element)
        {
            return int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? element : null;
        }
        if (DriverOptionCatalog.DictionaryValueType(type) is { } value)
        {
            return value;
        }
        return DriverOptionCatalog.IsScalar(type) ? null : Property(type, segment);
    }

    private static Type? Property(Type type, string name) =>
        DriverOptionCatalog.BindableProperties(type).FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.PropertyType;

    private static void CheckValue(Type type, string[] segments, string value)
    {
        if (!DriverOptionCatalog.IsScalar(type))
        {
            // "cache:" with nothing under it is an empty section, not a mistake.
            if (value.Length == 0)
            {
                return;
            }
            throw new DriverConfigurationException($"{Display(segments, segments.Length - 1)}: expected a {(DriverOptionCatalog.ElementType(type) is null ? "mapping" : "list")}, not '{value}'");
        }
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string) || (value.Length == 0 && Nullable.GetUnderlyingType(type) is not null))
        {
            return;
        }
        try
        {
            if (target.IsEnum)
            {
                // Names only: a number would bind to whatever member has that value.
                if (value.Length == 0 || !char.IsLetter(value[0]) || !Enum.TryParse(target, value, ignoreCase: true, out _))
                {
                    throw new FormatException($"expected one of {string.Join(", ", Enum.GetNames(target).Select(n => n.ToLowerInvariant()))}");
                }
                return;
            }
            TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException || e.InnerException is FormatException or OverflowException)
        {
            var reason = target == typeof(TimeSpan) ? "expected a duration [d.]hh:mm:ss, e.g. 00:10:00"
                : target == typeof(bool) ? "expected true or false"
                : target.IsPrimitive ? "expected a number"
                : (e.InnerException ?? e).Message;
            throw new DriverConfigurationException($"{Display(segments, segments.Length - 1)}: '{value}' is not valid: {reason}");
        }
    }

    private static DriverConfigurationException Unknown(string[] segments, int at) =>
        new($"unknown key '{Display(segments, at)}' (see --help for the options)");

    /// <summary><c>registries:0:plainHtp</c> as written in YAML: <c>registries[0].plainHtp</c>.</summary>
    private static string Display(string[] segments, int last)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i <= last; i++)
        {
            if (int.TryParse(segments[i], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                text.Append('[').Append(segments[i]).Append(']');
            }
            else
            {
                text.Append(i == 0 ? "" : ".").Append(segments[i]);
            }
        }
        return text.ToString();
    }
}
