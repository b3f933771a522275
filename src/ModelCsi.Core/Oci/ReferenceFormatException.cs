namespace ModelCsi.Core.Oci;

/// <summary>An image reference string that does not follow the distribution reference grammar.</summary>
public sealed class ReferenceFormatException : FormatException
{
    public ReferenceFormatException(string reference, string problem)
        : base($"invalid image reference '{reference}': {problem}")
    {
        Reference = reference;
        Problem = problem;
    }

    public string Reference { get; }

    public string Problem { get; }
}
