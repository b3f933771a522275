using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelCsi.Cli.Output;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.State;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// <c>modelcsi cache ls|gc</c>: the node cache read and collected straight from its root directory, for
/// operators on the node. Which models are in use comes from the published-volume records, since the
/// driver's memory is out of reach.
/// </summary>
public sealed class CacheCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;

    private readonly Option<string> _rootDir = new("--root-dir")
    {
        Description = "The driver's root directory",
        DefaultValueFactory = _ => "/var/lib/model-csi",
        Recursive = true,
    };

    private readonly Option<string?> _maxSize = new("--max-size") { Description = "Cache size limit, e.g. 200Gi (default: none)" };

    private readonly Option<double> _minFreePercent = new("--min-free-percent") { Description = "Share of the filesystem to keep free (0-100)" };

    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print what would be evicted without deleting anything" };

    public CacheCommand(CliConsole console, GlobalOptions globals)
        : base("cache", "Inspect and collect the node's model cache (works on the root directory, not through the driver).")
    {
        _console = console;
        _globals = globals;
        Add(_rootDir);

        var ls = new Command("ls", "List cached models: reference, digest, size, last use and how many published volumes use each.");
        ls.SetAction(ListAsync);
        Add(ls);

        var gc = new Command("gc", "Evict unused models, least recently used first, until the cache is within the limits; "
            + "delete content no model references. Never evicts a model a published volume uses. Stop the driver first "
            + "(or use --dry-run): it does not see the driver's pulls in progress.");
        gc.Add(_maxSize);
        gc.Add(_minFreePercent);
        gc.Add(_dryRun);
        gc.SetAction(CollectAsync);
        Add(gc);
    }

    private async Task<int> ListAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            var root = parseResult.GetValue(_rootDir)!;
            CacheRoot.RequireExisting(root);
            using var cache = Open(root, new ModelCacheOptions { RootDirectory = root, ReconcileAtStart = false }, out var users);
            var models = cache.ListModels().OrderByDescending(m => m.LastUsedAt).ToList();
            await _console.Out.WriteLineAsync("REFERENCE\tDIGEST\tSIZE\tLAST USED\tIN USE\tTAGS (LAST RESOLVED)\tPINNED BY");
            foreach (var model in models)
            {
                var reference = model.References.Count > 0 ? model.References[^1] : "-";
                await _console.Out.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{reference}\t{model.Key}\t{ByteSize.Format(model.Size)}\t{model.LastUsedAt:yyyy-MM-ddTHH:mm:ssZ}\t{users.GetValueOrDefault(model.Key)}\t{Tags(model)}\t{PinnedBy(root, model.Key)}"));
            }

            await _console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{models.Count} models, cache holds {ByteSize.Format(cache.MeasureCacheBytes())}"));
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, "cache ls", _console, parseResult.GetValue(_globals.Verbose));
        }
    }

    private async Task<int> CollectAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            var root = parseResult.GetValue(_rootDir)!;
            CacheRoot.RequireExisting(root);
            var maxSize = parseResult.GetValue(_maxSize) is { } text ? Core.Cache.ByteSize.Parse(text) : Core.Cache.ByteSize.Zero;
            var dryRun = parseResult.GetValue(_dryRun);
            var options = new ModelCacheOptions
            {
                RootDirectory = root,
                MaxSize = maxSize,
                MinFreePercent = parseResult.GetValue(_minFreePercent),
                ReservedFreeBytes = 0,
                ReconcileAtStart = false,
            };
            using var cache = Open(root, options, out _);
            var result = cache.CollectGarbage(dryRun: dryRun);
            var verb = dryRun ? "would evict" : "evicted";
            foreach (var model in result.Evicted)
            {
                var reference = model.References.Count > 0 ? model.References[^1] : "-";
                await _console.Out.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{verb} {reference} {model.Key} ({ByteSize.Format(model.Size)}, last used {model.LastUsedAt:yyyy-MM-ddTHH:mm:ssZ})"));
            }

            await _console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{verb} {result.Evicted.Count} models; {(dryRun ? "would free" : "freed")} {ByteSize.Format(result.FreedBytes)}; cache {(dryRun ? "would hold" : "holds")} {ByteSize.Format(result.CacheBytesAfter)}"));
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, "cache gc", _console, parseResult.GetValue(_globals.Verbose));
        }
    }

    /// <summary>The ModelCaches pinning the model on this node (from the driver's <c>state/pins.json</c>), or "-".</summary>
    private static string PinnedBy(string root, string key)
    {
        var owners = PinFile.Read(PinFile.PathFor(root)).Where(p => p.Value == key).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        return owners.Count > 0 ? string.Join(", ", owners) : "-";
    }

    /// <summary>The tags this node last resolved to the model, each with when: what pull policies serve without asking.</summary>
    private static string Tags(CachedModelRecord model) =>
        model.Tags is { Count: > 0 } tags
            ? string.Join(", ", tags.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Reference} ({t.ResolvedAt:yyyy-MM-ddTHH:mm:ssZ})")))
            : "-";

    /// <summary>Opens the cache and leases every model a published volume or dynamic mount records, as the driver does.</summary>
    private static ModelCache Open(string root, ModelCacheOptions options, out Dictionary<string, int> users)
    {
        var volumesDir = Path.Combine(root, "state", "volumes");
        users = new Dictionary<string, int>(StringComparer.Ordinal);
        var cache = new ModelCache(
            Microsoft.Extensions.Options.Options.Create(options),
            new RegistryClient(),
            new LayerUnpacker(),
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelCache>.Instance);
        if (Directory.Exists(volumesDir))
        {
            var volumes = new PublishedVolumeStore(root, Microsoft.Extensions.Logging.Abstractions.NullLogger<PublishedVolumeStore>.Instance);
            foreach (var volume in volumes.All.Where(v => !string.IsNullOrEmpty(v.CacheKey)))
            {
                // Never disposed: the leases stand for the running driver's, for as long as this command runs.
                cache.Acquire(volume.CacheKey, LeaseHolder.Volume(volume.VolumeId, volume.TargetPath));
                users[volume.CacheKey] = users.GetValueOrDefault(volume.CacheKey) + 1;
            }
        }

        // Pinned models (ModelCache warm-ups) are held too, as the driver holds them.
        foreach (var (owner, key) in PinFile.Read(PinFile.PathFor(root)))
        {
            cache.Acquire(key, LeaseHolder.Pin(owner));
            users[key] = users.GetValueOrDefault(key) + 1;
        }

        // Models mounted into dynamic volumes are in use too; their state files list them.
        foreach (var (key, user) in DynamicMounts(Path.Combine(root, "dynamic")))
        {
            cache.Acquire(key, new LeaseHolder(LeaseKind.DynamicMount, user));
            users[key] = users.GetValueOrDefault(key) + 1;
        }

        return cache;
    }

    /// <summary>(cache key, user id) of every model a dynamic volume's state file says is mounted or being mounted.</summary>
    private static IEnumerable<(string Key, string User)> DynamicMounts(string dynamicRoot)
    {
        if (!Directory.Exists(dynamicRoot))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(dynamicRoot, "*.json"))
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var mount in document.RootElement.EnumerateArray())
            {
                if (mount.TryGetProperty("manifestDigest", out var key) && key.GetString() is { Length: > 0 } cacheKey)
                {
                    yield return (cacheKey, $"dynamic:{Path.GetFileNameWithoutExtension(file)}/{mount.GetProperty("name").GetString()}");
                }
            }
        }
    }
}
