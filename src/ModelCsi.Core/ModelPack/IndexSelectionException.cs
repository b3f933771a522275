using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>An index was pulled and no single model manifest in it could be chosen.</summary>
public sealed class IndexSelectionException : ModelPackException
{
    public IndexSelectionException(string reference, string indexDigest, string problem)
        : base($"{reference} is an index ({indexDigest}): {problem}")
    {
        Reference = reference;
        IndexDigest = indexDigest;
    }

    public string Reference { get; }

    public string IndexDigest { get; }

    public override FailureKind Kind => FailureKind.Unsupported;
}
