using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>A pull's destination exists and is not an empty directory; pulls never merge into or replace existing content.</summary>
public sealed class DestinationNotEmptyException : IOException, IClassifiedFailure
{
    public DestinationNotEmptyException(string destination, string problem)
        : base($"destination '{destination}' {problem}; pull into a new or empty directory")
    {
        Destination = destination;
    }

    public string Destination { get; }

    public FailureKind Kind => FailureKind.InvalidArgument;
}
