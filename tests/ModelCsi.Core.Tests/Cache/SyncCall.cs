namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// One durability call and what the cache showed at that moment: <paramref name="Length"/> is the synced
/// file's length (data syncs), <paramref name="Path"/> the directory or filesystem synced (the others).
/// </summary>
internal sealed record SyncCall(
    string Kind,
    string? Path,
    long Length,
    bool ModelRecordExists,
    IReadOnlySet<string> LayersInPlace,
    IReadOnlySet<string> BlobsInPlace,
    long TempBytes);
