namespace ModelCsi.Core.ModelPack;

/// <summary>What a push did: the manifest digest and how many blobs (layers and config) had to be uploaded.</summary>
public sealed record PushResult(string ManifestDigest, string TagOrDigest, int LayerCount, long LayerBytes, int BlobsUploaded, int BlobsSkipped, long BytesUploaded);
