namespace ModelCsi.Core.ModelPack;

/// <summary>How a layer's blob encodes its files.</summary>
public enum LayerForm
{
    /// <summary>The blob is the file itself.</summary>
    Raw,
    Tar,
    TarGzip,
    TarZstd,
}
