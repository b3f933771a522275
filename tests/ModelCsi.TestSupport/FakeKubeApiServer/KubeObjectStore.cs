using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelCsi.TestSupport;

/// <summary>
/// The fake API server's objects with one resourceVersion counter across all of them, an event history
/// for watches to resume from, and the point before which that history has been compacted away
/// (a watch from an older resourceVersion gets <c>410 Gone</c>).
/// </summary>
internal sealed class KubeObjectStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Resource, string Namespace, string Name), StoredObject> _objects = [];
    private readonly List<(long Version, string Resource, string Namespace, string Name, string Type, JsonObject Object)> _history = [];
    private readonly List<KubeWatch> _watches = [];
    private long _version = 1000;
    private long _compactedThrough;

    public long CurrentVersion
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    public JsonObject? Get(string resource, string @namespace, string name)
    {
        lock (_lock)
        {
            return _objects.TryGetValue((resource, @namespace, name), out var stored) ? stored.Render(resource) : null;
        }
    }

    public (List<JsonObject> Items, long Version) List(string resource, string? @namespace, string? name)
    {
        lock (_lock)
        {
            return (ListLocked(resource, @namespace, name), _version);
        }
    }

    private List<JsonObject> ListLocked(string resource, string? @namespace, string? name) => _objects
        .Where(o => o.Key.Resource == resource && (@namespace is null || o.Key.Namespace == @namespace) && (name is null || o.Key.Name == name))
        .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
        .Select(o => o.Value.Render(resource))
        .ToList();

    /// <summary>Creates or replaces an object (its status as written stays under every applied one).</summary>
    public JsonObject Put(string resource, string @namespace, JsonObject body, DateTimeOffset now)
    {
        lock (_lock)
        {
            var metadata = body["metadata"] as JsonObject ?? throw new ArgumentException("the object has no metadata");
            var name = metadata["name"]?.GetValue<string>() ?? throw new ArgumentException("the object has no metadata.name");
            var key = (resource, @namespace, name);
            var version = ++_version;
            metadata["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            if (@namespace.Length > 0)
            {
                metadata["namespace"] = @namespace;
            }

            string type;
            if (_objects.TryGetValue(key, out var stored))
            {
                var old = stored.Body["metadata"]!.AsObject();
                metadata["uid"] = old["uid"]?.DeepClone();
                metadata["creationTimestamp"] = old["creationTimestamp"]?.DeepClone();
                var generation = old["generation"]?.GetValue<long>() ?? 1;
                var specChanged = !JsonNode.DeepEquals(stored.Body["spec"], body["spec"]);
                metadata["generation"] = specChanged ? generation + 1 : generation;
                if (!body.ContainsKey("status") && stored.Body["status"] is { } status)
                {
                    body["status"] = status.DeepClone();
                }

                stored.Body = (JsonObject)body.DeepClone();
                type = "MODIFIED";
            }
            else
            {
                metadata["uid"] ??= Guid.NewGuid().ToString();
                metadata["creationTimestamp"] ??= now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                metadata["generation"] = 1L;
                stored = new StoredObject((JsonObject)body.DeepClone());
                _objects[key] = stored;
                type = "ADDED";
            }

            return Record(resource, @namespace, name, type, stored.Render(resource), version);
        }
    }

    public JsonObject? Delete(string resource, string @namespace, string name)
    {
        lock (_lock)
        {
            if (!_objects.Remove((resource, @namespace, name), out var stored))
            {
                return null;
            }

            var version = ++_version;
            var last = stored.Render(resource);
            last["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            return Record(resource, @namespace, name, "DELETED", last, version);
        }
    }

    /// <summary>Server-side apply of <paramref name="status"/> to the status subresource; null when the object does not exist.</summary>
    public JsonObject? ApplyStatus(string resource, string @namespace, string name, string fieldManager, JsonObject status)
    {
        lock (_lock)
        {
            if (!_objects.TryGetValue((resource, @namespace, name), out var stored))
            {
                return null;
            }

            var index = stored.StatusApplies.FindIndex(a => a.Key == fieldManager);
            if (index >= 0)
            {
                stored.StatusApplies[index] = new(fieldManager, status);
            }
            else
            {
                stored.StatusApplies.Add(new(fieldManager, status));
            }

            var version = ++_version;
            stored.Body["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            return Record(resource, @namespace, name, "MODIFIED", stored.Render(resource), version);
        }
    }

    /// <summary>
    /// Registers a watch. From <paramref name="sinceVersion"/> the history after it is queued first; without one,
    /// every current object is queued as ADDED. Null when the version is older than the compacted history.
    /// </summary>
    public KubeWatch? Watch(string resource, string? @namespace, string? name, long? sinceVersion, bool bookmarks)
    {
        lock (_lock)
        {
            var watch = new KubeWatch(resource, @namespace, name, bookmarks);
            if (sinceVersion is { } since)
            {
                if (since < _compactedThrough)
                {
                    return null;
                }

                foreach (var entry in _history.Where(h => h.Version > since && watch.MatchesObject(h.Resource, h.Namespace, h.Name)))
                {
                    watch.Send(entry.Type, entry.Object);
                }
            }
            else
            {
                foreach (var item in ListLocked(resource, @namespace, name))
                {
                    watch.Send("ADDED", item);
                }
            }

            _watches.Add(watch);
            return watch;
        }
    }

    public void EndWatch(KubeWatch watch)
    {
        lock (_lock)
        {
            _watches.Remove(watch);
        }
    }

    /// <summary>Forgets the history so far: a watch from any resourceVersion before now gets 410 Gone.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedThrough = _version;
            _history.Clear();
        }
    }

    /// <summary>Drops every open watch connection mid-stream.</summary>
    public void CutWatches()
    {
        lock (_lock)
        {
            foreach (var watch in _watches)
            {
                watch.Close(cut: true);
            }

            _watches.Clear();
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion on every watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watch in _watches.Where(w => w.Bookmarks))
            {
                var (apiVersion, kind, _) = KubeKinds.Of(watch.Resource);
                watch.Send("BOOKMARK", new JsonObject
                {
                    ["kind"] = kind,
                    ["apiVersion"] = apiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture) },
                });
            }
        }
    }

    private JsonObject Record(string resource, string @namespace, string name, string type, JsonObject rendered, long version)
    {
        _history.Add((version, resource, @namespace, name, type, rendered));
        foreach (var watch in _watches.Where(w => w.MatchesObject(resource, @namespace, name)))
        {
            watch.Send(type, rendered);
        }

        return rendered;
    }
}
