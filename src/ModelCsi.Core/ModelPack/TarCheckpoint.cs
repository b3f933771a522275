namespace ModelCsi.Core.ModelPack;

/// <summary>
/// What a plain tar layer's extraction had made durable when it was written (see <see cref="TarCheckpointer"/>):
/// the blob offset just after entry <see cref="Entries"/> (the end of its data; the tar padding after it is
/// skipped on resume), the SHA-256 state of the blob's bytes before that offset, the extraction's counters at
/// that point and how much of the journal of created paths belongs to it.
/// </summary>
internal sealed record TarCheckpoint
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string Digest { get; init; }

    public long Offset { get; init; }

    /// <summary>A <see cref="Transfer.Sha256Context"/> snapshot, base64.</summary>
    public required string HashState { get; init; }

    public int Entries { get; init; }

    public int RegularEntries { get; init; }

    public int FilesWritten { get; init; }

    public long BytesWritten { get; init; }

    public long DeclaredBytes { get; init; }

    public long JournalLength { get; init; }

    /// <summary>The name of the last entry completed, for logs.</summary>
    public string? LastEntry { get; init; }
}
