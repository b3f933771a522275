using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.Options;

/// <summary>Range checks of the <c>cache:</c> section, so a value that parses but means nothing stops the start.</summary>
internal sealed class CacheOptionsValidator : IValidateOptions<ModelCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelCacheOptions options)
    {
        var failures = new List<string>();
        if (options.MaxParallelLayers is < 1 or > 64)
        {
            failures.Add($"cache.maxParallelLayers must be 1-64, not {options.MaxParallelLayers}");
        }
        if (options.MinFreePercent is < 0 or > 100 || double.IsNaN(options.MinFreePercent))
        {
            failures.Add($"cache.minFreePercent must be 0-100, not {options.MinFreePercent}");
        }
        if (options.ReservedFreeBytes < 0)
        {
            failures.Add("cache.reservedFreeBytes must not be negative");
        }
        if (options.GcInterval < TimeSpan.Zero || options.PartialMaxAge < TimeSpan.Zero || options.OrphanGracePeriod < TimeSpan.Zero)
        {
            failures.Add("cache durations (gcInterval, partialMaxAge, orphanGracePeriod) must not be negative");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
