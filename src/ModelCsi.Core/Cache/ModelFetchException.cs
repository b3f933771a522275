namespace ModelCsi.Core.Cache;

/// <summary>
/// The one exception family the model store lets out. Concrete subclasses belong to the store; the driver
/// only looks at <see cref="FailureKind"/> to choose a status code, so new causes need no driver change.
/// </summary>
public abstract class ModelFetchException : Exception
{
    protected ModelFetchException(ModelFetchFailureKind failureKind, string reference, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FailureKind = failureKind;
        Reference = reference;
    }

    public ModelFetchFailureKind FailureKind { get; }

    /// <summary>The model reference as the volume asked for it.</summary>
    public string Reference { get; }
}
