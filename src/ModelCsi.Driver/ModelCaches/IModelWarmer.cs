namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// The node cache as ModelCaches see it: pull a model ahead of any pod and hold it against eviction.
/// The adapter over the cache's pull pipeline and store lives with the cache; here it is only a seam.
/// </summary>
public interface IModelWarmer
{
    /// <summary>
    /// Pulls the model (joining a pull of the same model already running, e.g. for a publish) and, when
    /// <see cref="WarmRequest.Pin"/> is set, takes a pin for <see cref="WarmRequest.Owner"/> that keeps it
    /// from eviction until <see cref="Unpin"/>. Taking the pin again for the same owner replaces the old one.
    /// </summary>
    /// <param name="progress">Bytes downloaded so far (not counting what was already cached).</param>
    /// <returns>The manifest digest and the size the model takes in the cache.</returns>
    /// <exception cref="Exception">Any failure; its message goes into the ModelCache status as is (for a pin beyond
    /// the cache limit: the bytes needed and allowed).</exception>
    Task<WarmedModel> WarmAndPinAsync(WarmRequest request, IProgress<long>? progress, CancellationToken cancellationToken);

    /// <summary>Releases the owner's pin, if any: the model becomes evictable like any unused model.</summary>
    void Unpin(string owner);

    /// <summary>Owners holding a pin now.</summary>
    IReadOnlyCollection<string> PinnedOwners { get; }
}
