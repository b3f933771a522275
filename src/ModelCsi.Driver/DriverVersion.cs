using System.Reflection;

namespace ModelCsi.Driver;

internal static class DriverVersion
{
    /// <summary>The assembly's informational version without the "+commit" build metadata.</summary>
    public static string Current { get; } = Read();

    private static string Read()
    {
        var assembly = typeof(DriverVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }
        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
