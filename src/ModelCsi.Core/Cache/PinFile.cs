using System.Text.Json;

namespace ModelCsi.Core.Cache;

/// <summary><c>state/pins.json</c>: which ModelCache pins which model (owner → cache key), replaced atomically.</summary>
public static class PinFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(string rootDir) => Path.Combine(rootDir, "state", "pins.json");

    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(path), Json) ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            // No file (no pins yet) or a damaged one: the ModelCaches pin again as they are reconciled.
            return new Dictionary<string, string>();
        }
    }

    public static void Write(string path, IReadOnlyDictionary<string, string> pins)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, pins, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
