using System.Text.Json;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The <c>index/</c> records of complete models and the manifests they name. Writes go through a temp file and a
/// rename, so a reader sees the old record or the new one, never half of one.
/// </summary>
internal sealed class ModelRecords(CacheLayout layout, TimeProvider time)
{
    private static readonly JsonSerializerOptions RecordJson = new() { WriteIndented = true };

    private readonly Lock _lock = new();

    public void Write(CachedModelRecord record)
    {
        lock (_lock)
        {
            var path = layout.ModelRecord(record.Key);
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, RecordJson));
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>Marks the model used now by <paramref name="reference"/> (the most recent reference goes last).</summary>
    public void Touch(string key, string reference) =>
        Update(key, record => record with
        {
            References = record.References.Where(r => r != reference).Append(reference).ToList(),
            LastUsedAt = time.GetUtcNow(),
        });

    /// <summary>The record of the model under <paramref name="key"/>, or null when there is none (or it is damaged).</summary>
    public CachedModelRecord? Get(string key) => TryRead(layout.ModelRecord(key));

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
            if (TryRead(layout.ModelRecord(key)) is { } record)
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
        List()
            .Where(r => string.Equals(r.Selection?.CacheKey, selectionKey, StringComparison.Ordinal))
            .SelectMany(r => (r.Tags ?? []).Where(t => t.Reference == reference).Select(t => (r.Key, t.ResolvedAt)))
            .OrderByDescending(t => t.ResolvedAt)
            .Select(t => t.Key)
            .FirstOrDefault();

    /// <summary>Remembers that <paramref name="reference"/> resolved to the model now; a tag that moved leaves its old model.</summary>
    public void RecordResolution(string key, string reference)
    {
        lock (_lock)
        {
            var selection = CacheKeys.SelectionKeyOf(key);
            foreach (var record in List())
            {
                var tags = record.Tags ?? [];
                if (record.Key == key)
                {
                    Write(record with { Tags = [.. tags.Where(t => t.Reference != reference), new ResolvedTag { Reference = reference, ResolvedAt = time.GetUtcNow() }] });
                }
                else if (CacheKeys.SelectionKeyOf(record.Key) == selection && tags.Any(t => t.Reference == reference))
                {
                    Write(record with { Tags = tags.Where(t => t.Reference != reference).ToList() });
                }
            }
        }
    }

    public void Delete(string key)
    {
        lock (_lock)
        {
            File.Delete(layout.ModelRecord(key));
        }
    }

    /// <summary>The record of every model whose directory exists.</summary>
    public IReadOnlyList<CachedModelRecord> List()
    {
        var records = new List<CachedModelRecord>();
        foreach (var file in Directory.EnumerateFiles(layout.Index, "*.json"))
        {
            if (TryRead(file) is { } record && Directory.Exists(layout.Model(record.Key)))
            {
                records.Add(record);
            }
        }

        return records;
    }

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

    public OciManifest? TryReadManifest(string manifestDigest)
    {
        try
        {
            return JsonSerializer.Deserialize<OciManifest>(File.ReadAllBytes(layout.Blob(manifestDigest)));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }
}
