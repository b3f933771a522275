using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Where each kind of cache content lives under the root. Everything is keyed by digest, and every
/// directory that readers look at is filled elsewhere (tmp/) and renamed into place when complete.
/// </summary>
/// <remarks>
/// <code>
/// cache/blobs/sha256/&lt;hex&gt;           verified blob (raw layers, configs, manifests)
/// cache/blobs/sha256/&lt;hex&gt;.partial   a download in progress; resumed after a restart
/// cache/layers/&lt;key&gt;/                 an unpacked, verified tar layer
/// cache/models/&lt;hex&gt;/                 a complete model: hard links into blobs/ and layers/
/// cache/models/&lt;hex&gt;-&lt;sel&gt;/           a selected subset of a model's layers (see CacheKey)
/// cache/index/&lt;hex&gt;[-&lt;sel&gt;].json       what a model is: reference, selection, size, layers, last use
/// cache/tmp/                          work in progress; emptied at start
/// </code>
/// </remarks>
public sealed class CacheLayout
{
    public CacheLayout(string rootDirectory)
    {
        Root = Path.GetFullPath(Path.Combine(rootDirectory, "cache"));
        Blobs = Path.Combine(Root, "blobs", "sha256");
        Layers = Path.Combine(Root, "layers");
        Models = Path.Combine(Root, "models");
        Index = Path.Combine(Root, "index");
        Temp = Path.Combine(Root, "tmp");
    }

    public string Root { get; }

    public string Blobs { get; }

    public string Layers { get; }

    public string Models { get; }

    public string Index { get; }

    public string Temp { get; }

    public void CreateDirectories()
    {
        // Root's alone: pods see models through bind mounts, which need no traversal of the host path, and no
        // other host user may reach (let alone change) a cached file, whatever mode an artifact asked for.
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(Root, ownerOnly);
        File.SetUnixFileMode(Root, ownerOnly);
        foreach (var dir in new[] { Blobs, Layers, Models, Index, Temp })
        {
            Directory.CreateDirectory(dir);
        }
    }

    public string Blob(string digest) => Path.Combine(Blobs, Digest.Hex(digest));

    public string PartialBlob(string digest) => Blob(digest) + ".partial";

    public string Layer(string key) => Path.Combine(Layers, key);

    /// <summary>A plain tar layer being extracted: its tree, journal and checkpoint, kept across restarts for resuming.</summary>
    public string PartialLayer(string key) => Layer(key) + ".partial";

    /// <param name="key">A <see cref="CacheKeys"/>: the manifest digest, or the digest and a selection key.</param>
    public string Model(string key) => Path.Combine(Models, CacheKeys.FileName(key));

    /// <param name="key">A <see cref="CacheKeys"/>: the manifest digest, or the digest and a selection key.</param>
    public string ModelRecord(string key) => Path.Combine(Index, CacheKeys.FileName(key) + ".json");

    /// <summary>A fresh directory under tmp/ for work that becomes visible by rename.</summary>
    public string NewTempDirectory(string purpose)
    {
        var path = Path.Combine(Temp, $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
