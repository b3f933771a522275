namespace ModelCsi.Core.ModelPack;

/// <summary>Layer annotation keys, in both the cncf and the cnai spelling.</summary>
public static class ModelPackAnnotations
{
    public const string CncfFilePath = "org.cncf.model.filepath";
    public const string CnaiFilePath = "org.cnai.model.filepath";
    public const string ImageTitle = "org.opencontainers.image.title";
    public const string CncfFileMetadata = "org.cncf.model.file.metadata+json";
    public const string CnaiFileMetadata = "org.cnai.model.file.metadata+json";
    public const string CncfMediaTypeUntested = "org.cncf.model.file.mediatype.untested";
    public const string CnaiMediaTypeUntested = "org.cnai.model.file.mediatype.untested";

    public static string FilePath(ArtifactFamily family) => family == ArtifactFamily.Cnai ? CnaiFilePath : CncfFilePath;

    public static string FileMetadata(ArtifactFamily family) => family == ArtifactFamily.Cnai ? CnaiFileMetadata : CncfFileMetadata;

    public static string MediaTypeUntested(ArtifactFamily family) => family == ArtifactFamily.Cnai ? CnaiMediaTypeUntested : CncfMediaTypeUntested;
}
