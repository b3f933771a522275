using ModelCsi.Core.Failures;

namespace ModelCsi.Core.Cache;

/// <summary>
/// A model could not be provided: the one exception the pull pipeline lets out. It names the reference once and
/// the step that failed; <see cref="Kind"/> decides the status code, the metric reason and the exit code.
/// </summary>
public sealed class ModelPullException(FailureKind kind, string reference, string message, Exception? innerException = null)
    : Exception(message, innerException), IClassifiedFailure
{
    public FailureKind Kind { get; } = kind;

    /// <summary>The model reference as it was asked for.</summary>
    public string Reference { get; } = reference;

    /// <summary>The step that failed, e.g. "resolve manifest" or "download layers".</summary>
    public string? Step { get; init; }

    /// <summary>Wraps a failure of <paramref name="step"/>, keeping its kind and adding the reference once.</summary>
    public static ModelPullException From(Exception exception, string reference, string step) =>
        exception as ModelPullException
        ?? new ModelPullException(FailureTable.KindOf(exception), reference, $"{step} for {reference} failed: {exception.Message}", exception) { Step = step };
}
