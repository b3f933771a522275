using ModelCsi.Core.Cache;

namespace ModelCsi.Driver;

/// <summary>The <c>/healthz</c> check: the cache directory exists and takes a write.</summary>
internal static class CacheHealth
{
    public static bool IsUsable(CacheLayout layout)
    {
        var probe = Path.Combine(layout.Temp, ".healthz-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
