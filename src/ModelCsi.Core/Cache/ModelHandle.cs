namespace ModelCsi.Core.Cache;

/// <summary>A model ready to mount: the reference it was asked for, the manifest digest it resolved to and its complete directory.</summary>
public sealed record ModelHandle(string Reference, string ManifestDigest, string ModelPath);
