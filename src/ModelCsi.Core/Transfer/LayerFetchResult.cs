namespace ModelCsi.Core.Transfer;

/// <summary>
/// A verified blob: its digest and size as checked, the bytes this fetch took from the network and
/// those an earlier attempt had saved, and how many times a dropped connection was continued.
/// </summary>
public sealed record LayerFetchResult(string Digest, long Size, long BytesDownloaded, long BytesResumed, int Reconnects);
