using ModelCsi.Core.Failures;
namespace ModelCsi.Core.Oci;

/// <summary>Content did not hash to the digest (or did not have the size) its descriptor or reference promised.</summary>
public sealed class DigestMismatchException : IOException, IClassifiedFailure
{
    public DigestMismatchException(string expectedDigest, long expectedSize, string actualDigest, long actualSize, string? context = null)
        : base($"{(context is null ? "" : context + ": ")}content does not match its descriptor: expected {expectedDigest} ({expectedSize} bytes), got {actualDigest} ({actualSize} bytes)")
    {
        ExpectedDigest = expectedDigest;
        ExpectedSize = expectedSize;
        ActualDigest = actualDigest;
        ActualSize = actualSize;
    }

    public string ExpectedDigest { get; }

    public long ExpectedSize { get; }

    public string ActualDigest { get; }

    public long ActualSize { get; }

    public FailureKind Kind => FailureKind.DataCorrupted;
}
