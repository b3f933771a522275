using ModelCsi.Core.Cache;

namespace ModelCsi.Driver;

/// <summary>Thrown by <see cref="UnavailableModelStore"/>.</summary>
internal sealed class ModelStoreUnavailableException(string reference)
    : ModelFetchException(ModelFetchFailureKind.Unavailable, reference, $"no model store is configured in this build, so '{reference}' cannot be pulled");
