using ModelCsi.Core.Cache;

namespace ModelCsi.Driver;

/// <summary>
/// Stand-in until the real model cache is wired in Program.cs: every publish fails with Unavailable
/// and a message that says why, instead of pretending to work.
/// </summary>
internal sealed class UnavailableModelStore : IModelStore
{
    public Task<ModelHandle> EnsureModelAsync(ModelRequest request, CancellationToken cancellationToken = default) =>
        throw new ModelStoreUnavailableException(request.Reference);

    public void MarkInUse(string manifestDigest, string volumeId)
    {
    }

    public void MarkUnused(string manifestDigest, string volumeId)
    {
    }
}
