using System.Reflection;
using System.Runtime.InteropServices;

namespace ModelCsi.Driver;

internal static class DriverVersion
{
    /// <summary>The assembly's informational version without the "+commit" build metadata.</summary>
    public static string Current { get; } = Split().Version;

    /// <summary>The source commit the SDK stamped into the informational version, or "unknown" (built outside git).</summary>
    public static string Commit { get; } = Split().Commit;

    /// <summary>What <c>--version</c> prints.</summary>
    public static string Describe() => $"modelcsi-driver {Current} (commit {Commit}, {RuntimeInformation.FrameworkDescription} {RuntimeInformation.RuntimeIdentifier})";

    private static (string Version, string Commit) Split()
    {
        var assembly = typeof(DriverVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
        }
        return (assembly.GetName().Version?.ToString(3) ?? "0.0.0", "unknown");
    }
}
