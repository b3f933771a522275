using System.Collections.Concurrent;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Mounting;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The entry count of each published model directory, counted once: a complete model never changes, so walking its
/// tree on every publish (tens of thousands of lstat calls for a model of many small files) would be pure waste.
/// A count is reused only while the directory is the same one (device and inode), never for a re-pulled copy.
/// </summary>
internal sealed class ModelEntryCounts(IMounter mounter)
{
    // Bounds the memory: far more distinct model directories than a node publishes at once; past it, counting starts over.
    private const int MaxDirectories = 1024;

    private readonly ConcurrentDictionary<string, (ulong Device, ulong Inode, long Entries)> _counts = new(StringComparer.Ordinal);

    public long Count(string directory)
    {
        var probe = mounter.Probe(directory);
        if (probe is { } shown
            && _counts.TryGetValue(directory, out var known)
            && shown.ShowsSameFileAs(known.Device, known.Inode))
        {
            return known.Entries;
        }
        var entries = TreeUsage.Measure(directory).Entries;
        if (probe is { } counted)
        {
            if (_counts.Count >= MaxDirectories)
            {
                _counts.Clear();
            }
            _counts[directory] = (counted.Device, counted.Inode, entries);
        }
        return entries;
    }
}
