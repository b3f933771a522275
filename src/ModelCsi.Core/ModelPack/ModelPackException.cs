namespace ModelCsi.Core.ModelPack;

/// <summary>Base of the errors raised while reading, unpacking or packing model artifacts.</summary>
public abstract class ModelPackException : Exception
{
    protected ModelPackException(string message)
        : base(message)
    {
    }

    protected ModelPackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
