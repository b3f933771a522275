using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>Base of the errors raised while reading, unpacking or packing model artifacts.</summary>
public abstract class ModelPackException : Exception, IClassifiedFailure
{
    protected ModelPackException(string message)
        : base(message)
    {
    }

    protected ModelPackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Malformed or unsafe content unless a subclass says otherwise.</summary>
    public virtual FailureKind Kind => FailureKind.DataCorrupted;
}
