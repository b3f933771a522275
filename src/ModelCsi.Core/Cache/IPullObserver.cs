namespace ModelCsi.Core.Cache;

/// <summary>
/// Told how one model pull goes, e.g. to post pod Events. The cache calls it on the pull path, so
/// implementations return at once (queue any slow work) and never throw.
/// </summary>
public interface IPullObserver
{
    /// <summary>The manifest is resolved and the download begins; <paramref name="totalBytes"/> is the sum of the blobs to fetch.</summary>
    void Started(string reference, string manifestDigest, long totalBytes);

    /// <summary>Bytes downloaded so far for this pull (monotonic); call as often as convenient, observers throttle.</summary>
    void Progress(long bytesDone);

    /// <summary>
    /// The model is ready; <paramref name="fromCache"/> when nothing had to be downloaded. A cache hit calls
    /// only this (no <see cref="Started"/>), so observers must not rely on having been started.
    /// </summary>
    void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache);

    void Failed(string reason);

    /// <summary>Something the user should see though the model is served, e.g. a signature that failed a <c>warn</c> rule.</summary>
    void Warning(string message)
    {
    }

    /// <summary>One layer of the pull is verified and in the cache (or already was).</summary>
    void LayerCompleted(Oci.OciDescriptor layer)
    {
    }
}
