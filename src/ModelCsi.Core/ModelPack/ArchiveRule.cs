namespace ModelCsi.Core.ModelPack;

/// <summary>The safety rule a layer broke; carried by <see cref="UnsafeArchiveEntryException"/>.</summary>
public enum ArchiveRule
{
    AbsolutePath,
    PathEscapesRoot,
    WritesThroughSymlink,
    SymlinkEscapesRoot,
    HardlinkEscapesRoot,
    HardlinkTargetNotExtracted,
    DeviceOrFifo,
    UnsupportedEntryType,
    ReplacesNonRegularFile,
    LayerLargerThanDescriptor,
    ExpandedSizeLimit,
    EntryCountLimit,
    EmptyPath,
    PathTooLong,
    ConflictsWithEarlierEntry,
}
