using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.State;

/// <summary>
/// One JSON file per published volume under <c>&lt;root&gt;/state/volumes</c>, so a restarted driver knows what it
/// mounted. Files are replaced atomically (temp file, fsync, rename); a crash leaves either the old or the new record.
/// </summary>
public sealed class PublishedVolumeStore : IPublishedVolumeStore
{
    private const string RecordExtension = ".json";
    private const string TempExtension = ".tmp";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly ConcurrentDictionary<string, PublishedVolume> _volumes = new(StringComparer.Ordinal);
    private readonly ILogger<PublishedVolumeStore> _logger;

    public PublishedVolumeStore(string rootDirectory, ILogger<PublishedVolumeStore> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _logger = logger;
        Directory = Path.Combine(rootDirectory, "state", "volumes");
        System.IO.Directory.CreateDirectory(Directory);
        Load();
    }

    /// <summary>The directory holding the records.</summary>
    public string Directory { get; }

    public IReadOnlyCollection<PublishedVolume> All => _volumes.Values.ToArray();

    public int Count => _volumes.Count;

    public PublishedVolume? Find(string volumeId, string targetPath) =>
        _volumes.TryGetValue(Key(volumeId, targetPath), out var volume) ? volume : null;

    /// <summary>Any record for the target path, whatever volume it belongs to.</summary>
    /// <remarks>Enumerates the dictionary itself: <c>Values</c> would take every lock and copy all records on each call.</remarks>
    public PublishedVolume? FindByTarget(string targetPath)
    {
        foreach (var (_, volume) in _volumes)
        {
            if (string.Equals(volume.TargetPath, targetPath, StringComparison.Ordinal))
            {
                return volume;
            }
        }
        return null;
    }

    public Task SaveAsync(PublishedVolume volume, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var key = Key(volume.VolumeId, volume.TargetPath);
        var path = RecordPath(key);
        var temp = path + "." + Guid.NewGuid().ToString("N") + TempExtension;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A record is a few hundred bytes: serialized in memory and written in one call, no buffer, no async hops.
            var bytes = JsonSerializer.SerializeToUtf8Bytes(volume, JsonOptions);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(bytes);
                // fsync before the rename, or a power loss can leave an empty file under the final name.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        _volumes[key] = volume;
        return Task.CompletedTask;
    }

    public void Remove(string volumeId, string targetPath)
    {
        var key = Key(volumeId, targetPath);
        File.Delete(RecordPath(key));
        _volumes.TryRemove(key, out _);
    }

    private void Load()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (file.EndsWith(TempExtension, StringComparison.Ordinal))
            {
                // A write that never reached its rename: the previous record (if any) is still authoritative.
                Log.TornTempFileRemoved(_logger, file);
                TryDelete(file);
                continue;
            }
            if (!file.EndsWith(RecordExtension, StringComparison.Ordinal))
            {
                continue;
            }
            PublishedVolume? volume;
            try
            {
                volume = JsonSerializer.Deserialize<PublishedVolume>(File.ReadAllBytes(file), JsonOptions);
            }
            catch (JsonException ex)
            {
                Log.UnreadableRecordSkipped(_logger, file, ex.Message);
                continue;
            }
            if (volume is null)
            {
                continue;
            }
            _volumes[Key(volume.VolumeId, volume.TargetPath)] = volume;
        }
        Log.Loaded(_logger, _volumes.Count, Directory);
    }

    private string RecordPath(string key) => Path.Combine(Directory, key + RecordExtension);

    /// <summary>sha256 of volume id and target joined by NUL, which neither can contain, so distinct pairs never collide by concatenation.</summary>
    private static string Key(string volumeId, string targetPath) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeId + "\0" + targetPath)));

    private void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException ex)
        {
            Log.TempFileDeleteFailed(_logger, file, ex.Message);
        }
    }
}
