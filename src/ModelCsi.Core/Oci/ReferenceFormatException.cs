using ModelCsi.Core.Failures;
namespace ModelCsi.Core.Oci;

/// <summary>An image reference string that does not follow the distribution reference grammar.</summary>
public sealed class ReferenceFormatException : FormatException, IClassifiedFailure
{
    public ReferenceFormatException(string reference, string problem)
        : base($"invalid image reference '{reference}': {problem}")
    {
        Reference = reference;
        Problem = problem;
    }

    public string Reference { get; }

    public string Problem { get; }

    public FailureKind Kind => FailureKind.InvalidArgument;
}
