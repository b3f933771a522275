namespace ModelCsi.Core.Cache;

/// <summary>A model ready to mount: the reference it was asked for, the manifest digest it resolved to and its complete directory.</summary>
public sealed record ModelHandle(string Reference, string ManifestDigest, string ModelPath)
{
    /// <summary>The name the store knows the model by (see <see cref="CacheKeys"/>): the manifest digest unless a selection was asked for.</summary>
    public string CacheKey { get; init; } = ManifestDigest;

    /// <summary>The lease taken for the request's holder; null when the request named none. Its holder disposes it.</summary>
    public ModelLease? Lease { get; init; }
}
