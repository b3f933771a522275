namespace ModelCsi.Core.ModelPack;

/// <summary>A model artifact is malformed: bad config JSON, a raw layer without a path, bad annotations.</summary>
public sealed class ModelPackFormatException : ModelPackException
{
    public ModelPackFormatException(string message)
        : base(message)
    {
    }

    public ModelPackFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
