namespace ModelCsi.Core.Transfer;

/// <summary>
/// A place in a blob to continue a download from: the offset and the SHA-256 state (a
/// <see cref="Sha256Context"/> snapshot) of the bytes before it, so the whole blob is still verified.
/// </summary>
internal sealed record BlobResumePoint(long Offset, byte[] HashState);
