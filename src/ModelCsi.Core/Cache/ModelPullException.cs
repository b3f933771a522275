namespace ModelCsi.Core.Cache;

/// <summary>A pull failed at a named step; the kind decides the status code the volume gets.</summary>
public sealed class ModelPullException(ModelFetchFailureKind failureKind, string reference, string message, Exception? innerException = null)
    : ModelFetchException(failureKind, reference, message, innerException)
{
    /// <summary>The step that failed, e.g. "resolve manifest" or "download layers".</summary>
    public string? Step { get; init; }
}
