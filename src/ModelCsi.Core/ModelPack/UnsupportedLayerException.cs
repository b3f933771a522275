using ModelCsi.Core.Failures;
namespace ModelCsi.Core.ModelPack;

/// <summary>A layer of an accepted model artifact has a media type we do not know how to unpack.</summary>
public sealed class UnsupportedLayerException : ModelPackException
{
    public UnsupportedLayerException(string digest, string mediaType)
        : base($"layer {digest} has unsupported media type '{mediaType}'")
    {
        Digest = digest;
        MediaType = mediaType;
    }

    public string Digest { get; }

    public string MediaType { get; }

    public override FailureKind Kind => FailureKind.Unsupported;
}
