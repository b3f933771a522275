using System.Collections.Concurrent;
using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The <c>index/</c> records of complete models and the manifests they name. The files are the truth across
/// restarts; in between, every record, every tag's last resolution and every manifest a record names are served
/// from memory (loaded once, kept in step with each write and delete), so a lookup reads no file. Writes go
/// through a temp file and a rename, so a reader of the disk sees the old record or the new one, never half of one.
/// </summary>
internal sealed class ModelRecords(CacheLayout layout, TimeProvider time)
{
    private static readonly JsonSerializerOptions RecordJson = new() { WriteIndented = true };

    // Serialises changes (file and memory together), never lookups: those read the dictionaries below.
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, CachedModelRecord> _records = new(StringComparer.Ordinal);

    // (selection key, tag reference) → the model it last resolved to, and when.
    private readonly ConcurrentDictionary<(string Selection, string Reference), (string Key, DateTimeOffset At)> _tags = new();
    private readonly ConcurrentDictionary<string, OciManifest> _manifests = new(StringComparer.Ordinal);

    // The last-use time each record file holds (written under _lock): what Touch compares with.
    private readonly Dictionary<string, DateTimeOffset> _lastUseOnDisk = new(StringComparer.Ordinal);

    /// <summary>(Re)loads the index from the record files: once at start, after reconciliation has repaired them.</summary>
    public void Load()
    {
        lock (_lock)
        {
            _records.Clear();
            _lastUseOnDisk.Clear();
            _tags.Clear();
            _manifests.Clear();
            foreach (var file in Directory.EnumerateFiles(layout.Index, "*.json"))
            {
                if (TryRead(file) is { } record && file == layout.ModelRecord(record.Key))
                {
                    _records[record.Key] = record;
                    _lastUseOnDisk[record.Key] = record.LastUsedAt;
                    IndexTags(record);
                    _ = TryReadManifest(record.ManifestDigest);
                }
            }
        }
    }

    public void Write(CachedModelRecord record)
    {
        lock (_lock)
        {
            var path = layout.ModelRecord(record.Key);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, RecordJson));
            File.Move(temp, path, overwrite: true);
            _records[record.Key] = record;
            _lastUseOnDisk[record.Key] = record.LastUsedAt;
            ForgetTagsOf(record.Key, keep: record.Tags);
            IndexTags(record);
        }

        // Parsed now, by the writer (a pull, which saved the manifest just before), so that a collection under the
        // store's gate never has to read it.
        _ = TryReadManifest(record.ManifestDigest);
    }

    /// <summary>
    /// How stale a record file's last-use time may get before a cache hit rewrites it. Eviction reads last use from
    /// memory, exact; the file only carries it across a restart, where a minute of LRU precision does not matter. A
    /// rewrite per hit would put a file write and the records' lock in every warm publish.
    /// </summary>
    public static readonly TimeSpan LastUseWriteInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Marks the model used now by <paramref name="reference"/> (the most recent reference goes last). In memory at
    /// once; on disk when the reference is new to the record or its file's last use is older than <see cref="LastUseWriteInterval"/>.
    /// </summary>
    public void Touch(string key, string reference)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_records.TryGetValue(key, out var record))
            {
                return;
            }

            if (record.References.Count > 0 && record.References[^1] == reference
                && _lastUseOnDisk.TryGetValue(key, out var onDisk) && now - onDisk < LastUseWriteInterval)
            {
                _records[key] = record with { LastUsedAt = now };
                return;
            }

            Write(record with
            {
                References = record.References.Where(r => r != reference).Append(reference).ToList(),
                LastUsedAt = now,
            });
        }
    }

    /// <summary>The record of the model under <paramref name="key"/>, or null when there is none (or it is damaged).</summary>
    public CachedModelRecord? Get(string key) => _records.GetValueOrDefault(key);

    /// <summary>Changes the model's access list (making the model private when it was public).</summary>
    public void RecordAccess(string key, Func<CachedAccess?, CachedAccess> update) =>
        Update(key, record => record with { Access = update(record.Access) });

    /// <summary>Remembers a signature verification with the model's record.</summary>
    public void RecordSignature(string key, CachedSignature signature) =>
        Update(key, record => record with { Signature = signature });

    /// <summary>Reads, changes and rewrites the model's record in one step; nothing when there is no record.</summary>
    private void Update(string key, Func<CachedModelRecord, CachedModelRecord> change)
    {
        lock (_lock)
        {
            if (_records.TryGetValue(key, out var record))
            {
                Write(change(record));
            }
        }
    }

    /// <summary>
    /// The model a tag reference last resolved to on this node, for the same selection (a subset is its own model);
    /// null when none is known or its model is gone.
    /// </summary>
    public string? FindResolution(string reference, string? selectionKey) =>
        _tags.TryGetValue((selectionKey ?? string.Empty, reference), out var found) && Directory.Exists(layout.Model(found.Key))
            ? found.Key
            : null;

    /// <summary>Remembers that <paramref name="reference"/> resolved to the model now; a tag that moved leaves its old model.</summary>
    public void RecordResolution(string key, string reference)
    {
        lock (_lock)
        {
            var tag = (CacheKeys.SelectionKeyOf(key) ?? string.Empty, reference);
            var previous = _tags.TryGetValue(tag, out var found) && found.Key != key ? found.Key : null;
            if (_records.TryGetValue(key, out var record))
            {
                Write(record with { Tags = [.. (record.Tags ?? []).Where(t => t.Reference != reference), new ResolvedTag { Reference = reference, ResolvedAt = time.GetUtcNow() }] });
            }

            // The new resolution first: a lookup in between sees the old model or the new one, never none; a crash in
            // between leaves both records naming the tag, and loading picks the later resolution.
            if (previous is not null && _records.TryGetValue(previous, out var old))
            {
                Write(old with { Tags = (old.Tags ?? []).Where(t => t.Reference != reference).ToList() });
            }
        }
    }

    /// <summary>Deletes the model's record; its tags' resolutions go with it.</summary>
    public void Delete(string key)
    {
        lock (_lock)
        {
            File.Delete(layout.ModelRecord(key));
            _lastUseOnDisk.Remove(key);
            if (_records.TryRemove(key, out var record) && !_records.Values.Any(r => r.ManifestDigest == record.ManifestDigest))
            {
                _manifests.TryRemove(record.ManifestDigest, out _);
            }

            ForgetTagsOf(key, keep: null);
        }
    }

    /// <summary>The record of every model whose directory exists.</summary>
    public IReadOnlyList<CachedModelRecord> List() =>
        _records.Values.Where(r => Directory.Exists(layout.Model(r.Key))).ToList();

    public static CachedModelRecord? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CachedModelRecord>(File.ReadAllBytes(path), RecordJson);
        }
        // A selection that no longer parses (FormatException) makes the record unreadable like any other damage.
        catch (Exception e) when (e is IOException or JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The manifest blob a record names, parsed once (blobs never change under their digest).</summary>
    public OciManifest? TryReadManifest(string manifestDigest)
    {
        if (_manifests.TryGetValue(manifestDigest, out var cached))
        {
            return cached;
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<OciManifest>(File.ReadAllBytes(layout.Blob(manifestDigest)));
            if (manifest is not null)
            {
                _manifests[manifestDigest] = manifest;
            }

            return manifest;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    // Both under _lock.
    private void IndexTags(CachedModelRecord record)
    {
        var selection = record.Selection?.CacheKey ?? string.Empty;
        foreach (var tag in record.Tags ?? [])
        {
            var slot = (selection, tag.Reference);
            // Two records naming the same tag only after a crash between the writes of RecordResolution: the later resolution wins.
            if (!_tags.TryGetValue(slot, out var current) || current.Key == record.Key || current.At <= tag.ResolvedAt)
            {
                _tags[slot] = (record.Key, tag.ResolvedAt);
            }
        }
    }

    private void ForgetTagsOf(string key, IReadOnlyList<ResolvedTag>? keep)
    {
        foreach (var (slot, entry) in _tags)
        {
            if (entry.Key == key && keep?.Any(t => t.Reference == slot.Reference) != true)
            {
                _tags.TryRemove(new KeyValuePair<(string, string), (string, DateTimeOffset)>(slot, entry));
            }
        }
    }
}
