using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// The name a model has in the cache: its manifest digest (<c>sha256:&lt;hex&gt;</c>) for the whole model, or
/// <c>sha256:&lt;hex&gt;+&lt;selection key&gt;</c> for a selected subset of its layers. Pulls, records, directories,
/// in-use marks and published volume records all use the same string.
/// </summary>
public static class CacheKeys
{
    private const char SelectionSeparator = '+';
    private const char DirectorySeparator = '-';
    private const int SelectionKeyLength = 16;

    public static string For(string manifestDigest, LayerSelection? selection) =>
        selection is null ? manifestDigest : $"{manifestDigest}{SelectionSeparator}{selection.CacheKey}";

    /// <summary>The manifest digest part of a key.</summary>
    public static string ManifestDigestOf(string key)
    {
        var separator = key.IndexOf(SelectionSeparator, StringComparison.Ordinal);
        return separator < 0 ? key : key[..separator];
    }

    /// <summary>The directory and record file name of a key: <c>&lt;hex&gt;</c> or <c>&lt;hex&gt;-&lt;selection key&gt;</c>.</summary>
    /// <exception cref="ArgumentException">The key is malformed.</exception>
    public static string FileName(string key)
    {
        var separator = key.IndexOf(SelectionSeparator, StringComparison.Ordinal);
        if (separator < 0)
        {
            return Digest.Hex(key);
        }

        var selection = key[(separator + 1)..];
        if (!IsSelectionKey(selection))
        {
            throw new ArgumentException($"'{key}' is not a model cache key (sha256:<hex>[+<16 hex>])", nameof(key));
        }

        return Digest.Hex(key[..separator]) + DirectorySeparator + selection;
    }

    /// <summary>The key a directory or record file name stands for, or null when the name is not one.</summary>
    public static string? FromFileName(string name)
    {
        var separator = name.IndexOf(DirectorySeparator, StringComparison.Ordinal);
        var digest = Digest.Sha256Prefix + (separator < 0 ? name : name[..separator]);
        if (!Digest.IsValidSha256(digest))
        {
            return null;
        }

        if (separator < 0)
        {
            return digest;
        }

        var selection = name[(separator + 1)..];
        return IsSelectionKey(selection) ? digest + SelectionSeparator + selection : null;
    }

    /// <summary>The selection part of a key (<see cref="LayerSelection.CacheKey"/>), or null for the whole model.</summary>
    public static string? SelectionKeyOf(string key)
    {
        var separator = key.IndexOf(SelectionSeparator, StringComparison.Ordinal);
        return separator < 0 ? null : key[(separator + 1)..];
    }

    /// <summary>True when the key names a subset of a model rather than the whole of it.</summary>
    public static bool IsSubset(string key) => key.Contains(SelectionSeparator, StringComparison.Ordinal);

    private static bool IsSelectionKey(string text) =>
        text.Length == SelectionKeyLength && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
