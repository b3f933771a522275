namespace ModelCsi.Core.Transfer;

/// <summary>
/// Where a blob's bytes come from: <see cref="OpenAt"/> opens them from an offset (a Range request), and
/// <see cref="Opened"/> is an optional body already open at <see cref="OpenedAt"/> (the response that
/// was in hand). The fetcher owns and disposes <see cref="Opened"/>; it reopens instead when it needs
/// another offset (a resume, or a dropped connection). <see cref="OpenAt"/> must return the bytes from
/// that offset exactly (a 206 answer to a Range request, never the whole blob again): the registry
/// client's <c>OpenBlobAsync(blob, offset, token)</c> does.
/// </summary>
public sealed record BlobSource(Func<long, CancellationToken, Task<Stream>> OpenAt, Stream? Opened = null, long OpenedAt = 0);
