namespace ModelCsi.Driver.Options;

/// <summary>
/// One setting of the driver as a user sees it: its YAML key (<c>cache.maxSize</c>), its flag
/// (<c>--cache-max-size</c>, null for YAML-only structures), its type, default and meaning.
/// </summary>
public sealed record DriverOptionEntry(string Key, string? Flag, Type Type, string Default, string Description)
{
    /// <summary>The configuration path (<c>cache:maxSize</c>) the key binds to.</summary>
    public string ConfigurationPath => Key.Replace('.', ':');

    /// <summary>A list of scalars: one flag takes comma-separated values.</summary>
    public bool IsList => Type != typeof(string) && DriverOptionCatalog.ElementType(Type) is not null;

    public bool IsBoolean => Nullable.GetUnderlyingType(Type) is { } inner ? inner == typeof(bool) : Type == typeof(bool);
}
