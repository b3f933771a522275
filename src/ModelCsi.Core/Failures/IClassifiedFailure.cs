namespace ModelCsi.Core.Failures;

/// <summary>An exception that knows its <see cref="FailureKind"/>: the kind is decided where the failure happens.</summary>
public interface IClassifiedFailure
{
    FailureKind Kind { get; }
}
