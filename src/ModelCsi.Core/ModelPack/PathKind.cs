namespace ModelCsi.Core.ModelPack;

/// <summary>What a path is, by lstat (a final symlink is not followed).</summary>
internal enum PathKind
{
    Missing,
    Directory,
    Regular,
    Symlink,
    Other,
}
